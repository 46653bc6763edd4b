"""Admin forms of the client book."""

from django import forms

from .models import Client, Style


class ClientAdminForm(forms.ModelForm):
    """Client form with the style profile as checkboxes rather than raw JSON."""

    preferred_styles = forms.MultipleChoiceField(
        choices=Style.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Client
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what shows
