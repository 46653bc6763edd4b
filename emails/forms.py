"""Forms of the reviewer's screens; the rules themselves live in services/review."""

from __future__ import annotations

from django import forms

from emails.models import ReengagementEmail

_field = ReengagementEmail._meta.get_field


class RejectForm(forms.Form):
    """Ask why a draft is rejected; the reason goes to the trail and the stylist."""

    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "Give a reason for rejecting the draft."},
    )


class EditApproveForm(forms.Form):
    """Let a reviewer correct a draft's texts before approving it."""

    subject = forms.CharField(
        max_length=_field("subject").max_length,
        widget=forms.TextInput(attrs={"size": 80}),
    )
    preheader = forms.CharField(
        max_length=_field("preheader").max_length,
        widget=forms.TextInput(attrs={"size": 80}),
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "cols": 80}))


class CommentForm(forms.Form):
    """A note on a draft for the reviewer or the stylist."""

    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "A comment cannot be empty."},
    )
