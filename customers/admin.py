"""The client book in the Django admin: the CRM stylists and managers work in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportModelAdmin

from scoring.presentation import tier_badge
from stitchengage.admin_mixins import NotFoundOutsideBookMixin
from stitchengage.admin_pagination import BigListAdminMixin, BigTableChangeList
from stitchengage.admin_query import SafeListQueryMixin

from . import selectors
from .admin_filters import (
    RatingFilter,
    RiskTierFilter,
    SignupPeriodFilter,
    StylistListFilter,
)
from .admin_import import AllOrNothingImportMixin
from .columns import ORDER_FACTS
from .date_ranges import with_date_ranges
from .forms import ClientAdminForm
from .models import Client, Order
from .resources import ClientResource, OrderResource

RECENT_ORDERS = 12


class FastActionCheckboxMixin:
    """Render the row checkbox as a string, not through the form widget templates.

    The admin renders one CheckboxInput template per row (~15% of a 50-row page
    here); the markup is identical.
    """

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="Select this object for an action - {}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            obj,
        )


def _score_column(
    name: str, description: str, template: str | None = None, *, sortable: bool = False
) -> Callable[[Any, Client], Any]:
    """Return a ClientAdmin column showing one current score, "-" before any.

    ``template`` formats the value (None: the value itself); a sortable column
    sorts by the score's own column in ``scoring.ClientScore``.
    """

    @admin.display(
        description=description, ordering=f"score__{name}" if sortable else None
    )
    def column(model_admin: Any, obj: Client) -> Any:
        score = obj.current_score
        if score is None:
            return "-"
        value = getattr(score, name)
        return value if template is None else template.format(value)

    return column


class ClientChangeList(BigTableChangeList):
    """The client list: score sorts on scored rows, no date drill-down on subsets.

    Sorting by a score (churn risk, engagement, CLV, tier) lists the clients
    that have one: the sort then runs down that score's index instead of joining
    and sorting the whole book; "Not scored yet" in the tier filter lists the
    others. The signup-date drill-down is hidden on score sorts too (see
    ``BigTableChangeList``): listing the years of such a subset costs a scan of
    it joined to the scores.
    """

    score_join = False

    def narrowed(self) -> bool:
        return self.score_join or super().narrowed()

    def get_queryset(self, request, exclude_parameters=None):
        qs = super().get_queryset(request, exclude_parameters)
        by_score = any(
            str(field).lstrip("-").startswith("score__") for field in qs.query.order_by
        )
        self.score_join = by_score or RiskTierFilter.parameter_name in self.params
        return qs.filter(score__isnull=False) if by_score else qs


class BookAdmin(
    BigListAdminMixin,
    SafeListQueryMixin,
    FastActionCheckboxMixin,
    NotFoundOutsideBookMixin,
    AllOrNothingImportMixin,
    ImportExportModelAdmin,
):
    """The admin of the client book's two big lists, clients and Fixes.

    Both page a big table, refuse a date drill-down to no real period, render
    the row checkbox fast, show a stylist only their own rows (404 outside
    them) and import CSV all or nothing.
    """


class NewOrderInline(admin.TabularInline):
    """Add a Fix from the client page; past Fixes show in "Recent Fixes" above.

    Listing every past Fix as editable forms would render a hundred widgets for a
    long-standing client; a Fix is edited from its own page. No blank row until
    "Add another new Fix" is clicked (``extra = 0``): the page already carries the
    inline's empty form for that button, and a second blank row cost ~10% of
    every view's CPU for the rare view that adds a Fix.
    """

    model = Order
    extra = 0
    can_delete = False
    verbose_name = "new Fix"
    verbose_name_plural = "Add a Fix"
    fields = ORDER_FACTS

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Client)
class ClientAdmin(BookAdmin):
    form = ClientAdminForm
    resource_classes = [ClientResource]
    list_display = (
        "full_name_display",
        "stylist",
        "city",
        "tier_display",
        "engagement_display",
        "churn_risk_display",
        "clv_display",
        "last_order_display",
        "consent_display",
    )
    list_display_links = ("full_name_display",)
    list_filter = (
        RiskTierFilter,
        StylistListFilter,
        "marketing_consent",
        SignupPeriodFilter,
        "budget_band",
    )
    # Prefixes, served by the upper(...) text_pattern_ops indexes (migration
    # 0010): a contains search over a million names cost a trigram scan of
    # every "...smith..." row.
    search_fields = ("^first_name", "^last_name", "^email")
    search_help_text = "Search by the start of a first or last name, or an email."
    list_select_related = ("stylist", "score")
    list_per_page = 50
    date_hierarchy = "signup_date"
    autocomplete_fields = ("stylist",)
    inlines = (NewOrderInline,)
    readonly_fields = (
        "tier_display",
        "engagement_display",
        "churn_risk_display",
        "p_alive_display",
        "expected_orders_display",
        "clv_display",
        "last_order_at",
        "order_count",
        "scored_at_display",
        "score_explanation",
        "score_history",
        "recent_orders",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("first_name", "last_name"),
                    ("email", "phone"),
                    ("city", "time_zone"),
                    "quiet_days",
                    ("signup_date", "external_id"),
                    "stylist",
                )
            },
        ),
        (
            "Style profile",
            {
                "fields": (
                    "preferred_styles",
                    ("size_top", "size_bottom", "size_shoe"),
                    "budget_band",
                )
            },
        ),
        ("Consent", {"fields": (("marketing_consent", "unsubscribed_at"),)}),
        ("Stylist notes", {"fields": ("stylist_notes",)}),
        (
            "Engagement",
            {
                "fields": (
                    ("tier_display", "engagement_display", "churn_risk_display"),
                    ("p_alive_display", "expected_orders_display", "clv_display"),
                    ("last_order_at", "order_count", "scored_at_display"),
                    "score_explanation",
                    "score_history",
                )
            },
        ),
        (
            "Record",
            {"classes": ("collapse",), "fields": (("created_at", "updated_at"),)},
        ),
    )

    def get_changelist(self, request, **kwargs):
        return ClientChangeList

    def get_queryset(self, request):
        qs = with_date_ranges(super().get_queryset(request))
        match = request.resolver_match
        if request.method == "GET" and match and match.url_name.endswith("changelist"):
            # The list shows none of the long text; don't fetch it for 50 rows.
            qs = qs.defer("stylist_notes", "preferred_styles")
        elif match and match.url_name.endswith("change"):
            # The page shows the tier and the stylist: one query, not three.
            qs = qs.select_related("score", "stylist")
        return selectors.clients_visible_to(request.user, qs)

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if selectors.user_is_stylist_only(request.user):
            # A stylist's book is all theirs: the column would repeat their name
            # on every row and push the scores off a 1440-px screen.
            return tuple(c for c in columns if c != "stylist")
        return columns

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if selectors.user_is_stylist_only(request.user):
            # Stylists cannot hand clients to someone else or fake consent.
            fields += ("stylist", "marketing_consent", "unsubscribed_at", "email")
        return fields

    @admin.display(description="Recent Fixes")
    def recent_orders(self, obj: Client) -> str:
        # A read-only table, not an inline formset: a client with years of Fixes
        # would otherwise render a hundred form widgets on every page view.
        if obj.pk is None:
            return "-"
        orders = list(obj.orders.order_by("-ordered_at", "-id")[:RECENT_ORDERS])
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}/{}</td><td>{}</td>"
            "<td style='text-align:right'>${}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:customers_order_change", args=[o.pk]),
                    f"{o.ordered_at:%Y-%m-%d}",
                    o.get_status_display(),
                    o.items_kept,
                    o.items_sent,
                    o.kept_items or "-",
                    o.amount,
                    o.rating or "-",
                )
                for o in orders
            ),
        )
        add_url = reverse("admin:customers_order_add") + f"?client={obj.pk}"
        all_url = (
            reverse("admin:customers_order_changelist") + f"?client__id__exact={obj.pk}"
        )
        return format_html(
            "<table><thead><tr><th>Ordered</th><th>Status</th><th>Kept</th>"
            "<th>What was kept</th><th>Amount</th><th>Rating</th></tr></thead>"
            "<tbody>{}</tbody></table><p><a href='{}'>Add a Fix</a> &middot; "
            "<a href='{}'>All {} Fixes</a></p>",
            rows or format_html("<tr><td colspan=6>{}</td></tr>", "No Fixes yet."),
            add_url,
            all_url,
            obj.order_count,
        )

    @staticmethod
    def _score_history(obj: Client) -> list:
        """The client's last 52 snapshots, read once for both fields that show them."""
        from scoring.selectors import client_score_history

        if not hasattr(obj, "_admin_score_history"):
            obj._admin_score_history = client_score_history(client_id=obj.pk, limit=52)
        return obj._admin_score_history

    @admin.display(description="Why this score")
    def score_explanation(self, obj: Client) -> str:
        from scoring.presentation import snapshot_explanation_html

        history = self._score_history(obj)
        return snapshot_explanation_html(history[-1] if history else None)

    @admin.display(description="Score history")
    def score_history(self, obj: Client) -> str:
        from scoring.presentation import score_history_html

        return score_history_html(self._score_history(obj))

    @admin.display(description="Name", ordering="last_name")
    def full_name_display(self, obj: Client) -> str:
        # Name and email in one column: a column of its own for the email pushed
        # the scores off a 1440-px screen.
        return format_html(
            '{}<br><span class="client-email">{}</span>', obj.full_name, obj.email
        )

    @admin.display(description="Consent", boolean=True, ordering="marketing_consent")
    def consent_display(self, obj: Client) -> bool:
        return obj.marketing_consent

    @admin.display(description="Tier", ordering="score__risk_tier")
    def tier_display(self, obj: Client) -> str:
        return tier_badge(obj.current_tier)

    engagement_display = _score_column(
        "engagement_score", "Engagement", "{}", sortable=True
    )
    p_alive_display = _score_column(
        "p_alive", "Probability still a client", "{:.0%}", sortable=True
    )
    expected_orders_display = _score_column(
        "expected_orders", "Expected orders (90 days)", "{:.2f}"
    )
    churn_risk_display = _score_column(
        "churn_risk", "Churn risk", "{:.0%}", sortable=True
    )
    clv_display = _score_column("clv", "12-month CLV", "${:,.2f}", sortable=True)
    # The datetime itself, so the admin formats it in the user's time zone.
    scored_at_display = _score_column("scored_at", "Scored at")

    @admin.display(description="Last order", ordering="last_order_at")
    def last_order_display(self, obj: Client) -> str:
        # The date is what a stylist reads; the time made the column twice as wide.
        if obj.last_order_at is None:
            return "-"
        return f"{timezone.localtime(obj.last_order_at):%Y-%m-%d}"


@admin.register(Order)
class OrderAdmin(BookAdmin):
    resource_classes = [OrderResource]
    list_display = (
        "id",
        "client",
        "ordered_at",
        "status",
        "items_sent",
        "items_kept",
        "amount",
        "rating",
    )
    list_filter = ("status", RatingFilter)
    date_hierarchy = "ordered_at"
    search_fields = ("^client__first_name", "^client__last_name", "=client__email")
    search_help_text = (
        "Search by the start of the client's first or last name, or exact email."
    )
    list_select_related = ("client",)
    list_per_page = 50
    autocomplete_fields = ("client",)
    ordering = ("-ordered_at", "-id")

    def get_queryset(self, request):
        qs = with_date_ranges(super().get_queryset(request))
        return selectors.orders_visible_to(request.user, qs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "client":
            # Only the user's own book: the choices, the rendered initial value
            # and the validation of a forged POST all come from this queryset.
            kwargs["queryset"] = selectors.clients_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        client_id = initial.get("client")
        if client_id is not None and not (
            str(client_id).isdigit()
            and selectors.clients_visible_to(request.user)
            .filter(pk=int(client_id))
            .exists()
        ):
            # ?client=<someone else's id> must not pre-fill their name and email.
            del initial["client"]
        return initial

    def save_model(self, request, obj, form, change):
        if not selectors.client_visible_to(request.user, obj.client):
            raise PermissionDenied("That client is not in your book.")
        super().save_model(request, obj, form, change)


# The staff accounts screen replaces django.contrib.auth's (autodiscovered first);
# Axes > Access attempts lists login lockouts, unlocked by Managers.
from . import admin_accounts, admin_import_jobs, admin_lockouts  # noqa: E402,F401
