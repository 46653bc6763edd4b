"""The review desk's decision pages: approve, edit then approve, reject, regenerate.

Each view checks the user's book (404) and right (403), calls one service in
``emails.services.review`` (or ``dispatch`` for "send now") and says what came of
it; the services hold the rules, the views only translate them into pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from emails.forms import CommentForm, EditApproveForm, RejectForm
from emails.models import EmailStatus, ReengagementEmail
from emails.services.dispatch import email_send_now
from emails.services.drafting import DRAFT_NOT_QUEUED
from emails.services.review import (
    ReviewRefused,
    email_approve,
    email_comment_add,
    email_edit_check,
    email_regenerable,
    email_regenerate,
    email_reject,
    user_can_comment,
    user_can_review,
)
from emails.services.transitions import IllegalTransition

from .display import TEMPLATES, send_time_text


class ReviewViewsMixin:
    """The decision URLs of ``ReengagementEmailAdmin`` and their pages."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        views = {
            "approve": self.approve_view,
            "edit": self.edit_approve_view,
            "reject": self.reject_view,
            "regenerate": self.regenerate_view,
            "comment": self.comment_view,
            "send_now": self.send_now_view,
        }
        custom = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"{info[0]}_{info[1]}_{name}",
            )
            for name, view in views.items()
        ]
        return custom + super().get_urls()

    def _email_for(self, request, object_id, *, allowed) -> ReengagementEmail:
        # Out of the user's book is a 404 (as on the change page); in it but
        # without the right is a 403, whatever the form or a forged POST says.
        email = self.get_object(request, unquote(object_id))
        if not allowed(request.user):
            raise PermissionDenied
        return email

    def _change_url(self, email: ReengagementEmail) -> str:
        return self._change_url_of(email.pk)

    def _change_url_of(self, pk: int) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk]
        )

    def _queue_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _approved_response(self, request, email: ReengagementEmail):
        if email.status == EmailStatus.SUPPRESSED:
            note = email.transitions.order_by("-at", "-id").first()
            self.message_user(
                request,
                f"Email #{email.pk} was not approved: the client can no longer be "
                f"contacted ({note.note if note else 'blocked'}). It is suppressed.",
                messages.WARNING,
            )
            return HttpResponseRedirect(self._change_url(email))
        email.refresh_from_db(fields=["status", "send_after", "dispatched_at"])
        if email.dispatched_at is not None or email.status != EmailStatus.APPROVED:
            when = "it is being sent now"
        else:
            when = f"it will be sent at {send_time_text(email)}"
        self.message_user(
            request,
            f"Email #{email.pk} approved{' with your edits' if email.edited else ''};"
            f" {when}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())

    def _refused(self, request, email: ReengagementEmail, exc: Exception):
        self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(self._change_url(email))

    def approve_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            email = email_approve(email=email, reviewer=request.user)
        except (IllegalTransition, ReviewRefused) as exc:
            return self._refused(request, email, exc)
        return self._approved_response(request, email)

    def edit_approve_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        try:
            email_edit_check(email=email)
        except IllegalTransition as exc:
            return self._refused(request, email, exc)
        if request.method == "POST":
            form = EditApproveForm(request.POST)
            if form.is_valid():
                try:
                    email = email_approve(
                        email=email, reviewer=request.user, **form.cleaned_data
                    )
                except ReviewRefused as exc:
                    form.add_error(None, str(exc))
                except IllegalTransition as exc:
                    return self._refused(request, email, exc)
                else:
                    return self._approved_response(request, email)
        else:
            form = EditApproveForm(
                initial={
                    "subject": email.subject,
                    "preheader": email.preheader,
                    "body": email.body,
                }
            )
        return self._render(
            request,
            "edit_approve.html",
            email=email,
            form=form,
            title="Edit then approve",
        )

    def reject_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                email_reject(
                    email=email,
                    reviewer=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except IllegalTransition as exc:
                return self._refused(request, email, exc)
            except ReviewRefused as exc:
                form.add_error("reason", str(exc))
            else:
                self.message_user(
                    request, f"Email #{email.pk} rejected.", messages.SUCCESS
                )
                return HttpResponseRedirect(self._queue_url())
        return self._render(
            request, "reject.html", email=email, form=form, title="Reject draft"
        )

    def regenerate_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            new = email_regenerate(email=email, reviewer=request.user)
        except (IllegalTransition, ReviewRefused) as exc:
            return self._refused(request, email, exc)
        new.refresh_from_db()  # eagerly drafted, or its publish failed, by now
        message, level = self._regenerated_message(old=email, new=new)
        self.message_user(request, message, level)
        return HttpResponseRedirect(self._change_url(new))

    def _regenerated_message(
        self, *, old: ReengagementEmail, new: ReengagementEmail
    ) -> tuple[str, int]:
        """Say what became of the new draft, linking the old one it replaces."""
        kept = format_html(
            '<a href="{}">Email #{}</a> is kept as {}.',
            self._change_url(old),
            old.pk,
            old.get_status_display().lower(),
        )
        if new.status == EmailStatus.PENDING_REVIEW:
            return format_html(
                "A new draft, email #{}, is ready for review. {}", new.pk, kept
            ), messages.SUCCESS
        if new.status == EmailStatus.FAILED:
            return format_html(
                "The model could not write a new draft ({}). Email #{} is marked "
                "failed; you can regenerate it again. {}",
                new.error,
                new.pk,
                kept,
            ), messages.WARNING
        if new.status == EmailStatus.SUPPRESSED:
            return format_html(
                "Email #{} was not drafted: the client can no longer be contacted. {}",
                new.pk,
                kept,
            ), messages.WARNING
        if new.status == EmailStatus.QUEUED and new.error == DRAFT_NOT_QUEUED:
            return format_html(
                "The new draft, email #{}, could not be queued for writing (the "
                "task queue is unreachable). It waits as queued and is queued again "
                "by the next drafting sweep, or when you regenerate again. {}",
                new.pk,
                kept,
            ), messages.WARNING
        if new.status == EmailStatus.QUEUED and new.error:
            return format_html(
                "The model has not answered yet ({}); the new draft, email #{}, "
                "is waiting and will be retried. {}",
                new.error,
                new.pk,
                kept,
            ), messages.WARNING
        return format_html(
            "A new draft, email #{}, is being written. {}", new.pk, kept
        ), messages.SUCCESS

    def send_now_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_review)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            email = email_send_now(email=email, actor=request.user)
        except IllegalTransition as exc:
            return self._refused(request, email, exc)
        email.refresh_from_db(fields=["status", "dispatched_at"])
        if email.dispatched_at is None and email.status == EmailStatus.APPROVED:
            self.message_user(
                request,
                f"Email #{email.pk} could not be queued (the task queue is "
                "unreachable); the dispatcher will send it in the client's window.",
                messages.WARNING,
            )
        else:
            self.message_user(
                request, f"Email #{email.pk} is being sent now.", messages.SUCCESS
            )
        return HttpResponseRedirect(self._change_url(email))

    def comment_view(self, request, object_id):
        email = self._email_for(request, object_id, allowed=user_can_comment)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                email_comment_add(
                    email=email, author=request.user, body=form.cleaned_data["body"]
                )
            except ReviewRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, "Comment added.", messages.SUCCESS)
        else:
            self.message_user(request, "A comment cannot be empty.", messages.ERROR)
        return HttpResponseRedirect(self._change_url(email))

    def _render(self, request, template: str, *, email, form, title: str, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": email,
            "email": email,
            "form": form,
            "title": title,
            "change_url": self._change_url(email),
            **extra,
        }
        return TemplateResponse(request, f"{TEMPLATES}/{template}", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_review": user_can_review(request.user),
            "can_comment": user_can_comment(request.user),
            "pending": EmailStatus.PENDING_REVIEW,
            "approved": EmailStatus.APPROVED,
            "reject_form": RejectForm(),
            "comment_form": CommentForm(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        context["can_regenerate"] = obj is not None and email_regenerable(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)
