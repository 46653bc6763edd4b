"""Admin forms of the client book."""

from django import forms

from .models import Client, Style, Weekday
from .services.consent import consent_regrant_error


class ClientAdminForm(forms.ModelForm):
    """Client form with the style profile and quiet days as checkboxes, not JSON."""

    preferred_styles = forms.MultipleChoiceField(
        choices=Style.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    quiet_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days (in the client's time zone) the client asked not to be "
        "emailed on.",
    )

    class Meta:
        model = Client
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what shows

    def clean(self):
        cleaned_data = super().clean()
        # self.instance still holds the stored client here: the form's values are
        # copied onto it only after clean(), in _post_clean().
        if "marketing_consent" in cleaned_data:
            message = consent_regrant_error(
                client=self.instance, wanted=cleaned_data["marketing_consent"]
            )
            if message:
                self.add_error(
                    "marketing_consent", f"{message[0].upper()}{message[1:]}."
                )
        return cleaned_data
