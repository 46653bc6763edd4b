"""API tokens in the admin: Managers create (the token is shown once) and revoke."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from api.models import ApiToken, TokenScope
from api.services.tokens import token_fill_new, tokens_revoke


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiToken
        fields = ("name", "source", "scopes")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scopes"] = self.instance.scope_list

    def clean_scopes(self) -> str:
        return " ".join(sorted(self.cleaned_data["scopes"]))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = (
        "name",
        "source",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("source", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "source")
    readonly_fields = (
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ("revoke",)
    list_select_related = ("created_by",)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # A token's source is its orders' idempotency namespace: fixed once made.
        if obj is not None:
            return (*self.readonly_fields, "source")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool):
        if not change:
            obj.created_by = request.user
            request._api_token_plaintext = token_fill_new(token=obj)
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue=None
    ) -> HttpResponse:
        """Show the new token on its own page, once; it is not stored anywhere."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "plaintext": request._api_token_plaintext,
            "title": "API token created",
        }
        # The admin's views are never_cache: no copy of this page is kept.
        return TemplateResponse(
            request, "admin/api/apitoken/token_created.html", context
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        revoked = tokens_revoke(token_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
