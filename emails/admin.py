"""Admin screens for drafts, holdout assignments and suppressions."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.template.loader import render_to_string
from django.utils.html import format_html

from customers.admin import tier_badge
from emails.models import (
    EmailStatus,
    ReengagementEmail,
    RetentionAssignment,
    Suppression,
)
from emails.selectors import email_client_recent_orders, emails_visible_to
from emails.services.rendering import email_html_render

STATUS_COLOURS = {
    EmailStatus.QUEUED: "#6c757d",
    EmailStatus.DRAFTING: "#17a2b8",
    EmailStatus.PENDING_REVIEW: "#b8860b",
    EmailStatus.APPROVED: "#1e7e34",
    EmailStatus.SENDING: "#17a2b8",
    EmailStatus.SENT: "#155724",
    EmailStatus.REJECTED: "#6c757d",
    EmailStatus.FAILED: "#c0392b",
    EmailStatus.SUPPRESSED: "#343a40",
}


@admin.register(ReengagementEmail)
class ReengagementEmailAdmin(admin.ModelAdmin):
    """Review screen; reviewer actions (approve/reject) come with a later issue."""

    list_display = (
        "client",
        "status_badge",
        "subject",
        "provider",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
        "created_at",
    )
    list_filter = ("status", "provider", "client__risk_tier")
    list_select_related = ("client",)
    search_fields = ("=client__email", "client__last_name", "subject")
    show_full_result_count = False
    date_hierarchy = "created_at"
    fieldsets = (
        ("Review", {"fields": ("review_panel",)}),
        (
            "Draft",
            {
                "fields": (
                    "client",
                    "snapshot",
                    "status",
                    "subject",
                    "preheader",
                    "body",
                    "error",
                ),
            },
        ),
        (
            "Generation",
            {
                "classes": ("collapse",),
                "fields": (
                    "provider",
                    "model",
                    "prompt_version",
                    "prompt_tokens",
                    "completion_tokens",
                    "cost_usd",
                    "latency_ms",
                    "attempts",
                    "idempotency_key",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [
            "review_panel",
            *(field.name for field in self.model._meta.fields if field.name != "id"),
        ]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("client")
        return emails_visible_to(request.user, qs)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such email in your book.")
        return obj

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ReengagementEmail) -> str:
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 8px;'
            'border-radius:10px;font-size:11px;white-space:nowrap">{}</span>',
            STATUS_COLOURS.get(obj.status, "#adb5bd"),
            obj.get_status_display(),
        )

    @admin.display(description="preview and context")
    def review_panel(self, obj: ReengagementEmail) -> str:
        if obj.pk is None:
            return "—"
        client = obj.client
        return render_to_string(
            "emails/review_panel.html",
            {
                "email": obj,
                "html": email_html_render(email=obj) if obj.body else "",
                "client": client,
                "tier": tier_badge(client.risk_tier),
                "churn_pct": round((client.churn_risk or 0) * 100),
                "orders": email_client_recent_orders(email=obj),
                "transitions": obj.transitions.select_related("actor"),
            },
        )


@admin.register(RetentionAssignment)
class RetentionAssignmentAdmin(admin.ModelAdmin):
    """Written by the pipeline only: an experiment's record must not be edited."""

    list_display = ("client", "group", "experiment", "holdout_share", "assigned_at")
    list_filter = ("group", "experiment")
    list_select_related = ("client",)
    search_fields = ("=client__email",)
    raw_id_fields = ("client", "snapshot")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Managers add and lift suppressions; others may only look."""

    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
    show_full_result_count = False
