"""The review desk: the queue, the draft beside its client, the decisions.

The list and the columns are here; the decision pages are in ``review_views``,
the bulk actions in ``actions``, the panel in ``display``.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from customers.selectors import user_is_stylist_only
from emails.models import EmailStatus, ReengagementEmail
from emails.selectors import emails_visible_to
from emails.services.review import user_can_review
from scoring.presentation import tier_badge
from stitchengage.admin_mixins import NotFoundOutsideBookMixin, ReadOnlyAdminMixin
from stitchengage.admin_pagination import BigListAdminMixin
from stitchengage.admin_query import SafeListQueryMixin

from .actions import ReviewActionsMixin
from .display import STATUS_COLOURS, TEMPLATES, review_panel_html, send_time_text
from .filters import CreatedAgeFilter, EmailStylistFilter, ReviewQueueFilter
from .review_views import ReviewViewsMixin

SUBJECT_CHARS = 48  # the review queue's subject column


class ReengagementEmailAdmin(
    BigListAdminMixin,
    ReviewViewsMixin,
    ReviewActionsMixin,
    NotFoundOutsideBookMixin,
    ReadOnlyAdminMixin,
    SafeListQueryMixin,
    admin.ModelAdmin,
):
    """The review desk: the queue, the draft beside its client, the decisions.

    Nothing is edited through the model form (a stale save would write back an
    old status); texts change only through "Edit then approve".
    """

    not_found_message = "No such email in your book."
    change_form_template = f"{TEMPLATES}/change_form.html"
    # What a reviewer picks the next draft by; the model, tokens, cost and
    # latency are on the email's page. 25 rows: a 1440-px screen's worth.
    list_display = (
        "client_name",
        "tier_badge",
        "status_badge",
        "subject_short",
        "prompt_version",
        "sends_at",
        "created_on",
    )
    list_display_links = ("client_name", "subject_short")
    list_per_page = 25
    list_filter = (
        ReviewQueueFilter,
        "status",
        ("client__score__risk_tier", admin.ChoicesFieldListFilter),
        EmailStylistFilter,
        CreatedAgeFilter,
        "prompt_version",
        "provider",
    )
    list_select_related = ("client", "client__score")
    # Prefixes and exact email, as the client and order lists: each is an index
    # range (upper(name) text_pattern_ops); a contains search over names and
    # subjects scanned and joined the whole table (p95 322 ms at 1M clients).
    search_fields = ("^client__first_name", "^client__last_name", "=client__email")
    search_help_text = (
        "Search by the start of the client's first or last name, or exact email."
    )
    show_full_result_count = False
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
        # The changelist skips list_select_related on a queryset that already
        # selects related rows: name them all here (else a score query per row).
        qs = super().get_queryset(request).select_related(*self.list_select_related)
        match = request.resolver_match
        if match and match.url_name.endswith("_change"):
            qs = qs.select_related("client__stylist")  # the review panel names them
        return emails_visible_to(request.user, qs)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if user_is_stylist_only(request.user):
            return tuple(f for f in filters if f is not EmailStylistFilter)
        return filters

    def has_review_permission(self, request) -> bool:
        return user_can_review(request.user)

    # -- display -------------------------------------------------------------

    @admin.display(description="Client", ordering="client__last_name")
    def client_name(self, obj: ReengagementEmail) -> str:
        return obj.client.full_name

    @admin.display(description="Tier", ordering="client__score__risk_tier")
    def tier_badge(self, obj: ReengagementEmail) -> str:
        return tier_badge(obj.client.current_tier)

    @admin.display(description="Subject", ordering="subject")
    def subject_short(self, obj: ReengagementEmail) -> str:
        return Truncator(obj.subject).chars(SUBJECT_CHARS) or "-"

    @admin.display(description="Created", ordering="created_at")
    def created_on(self, obj: ReengagementEmail) -> str:
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M}"

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ReengagementEmail) -> str:
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 8px;'
            'border-radius:10px;font-size:11px;white-space:nowrap">{}</span>',
            STATUS_COLOURS.get(obj.status, "#adb5bd"),
            obj.get_status_display(),
        )

    @admin.display(description="Sends at", ordering="send_after")
    def sends_at(self, obj: ReengagementEmail) -> str:
        if obj.send_after is None or obj.status != EmailStatus.APPROVED:
            return "—"
        return send_time_text(obj)

    @admin.display(description="preview and context")
    def review_panel(self, obj: ReengagementEmail) -> str:
        if obj.pk is None:
            return "—"
        return review_panel_html(email=obj, change_url_of=self._change_url_of)
