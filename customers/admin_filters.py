"""List filters of the client book: fixed choices, no DISTINCT over big tables.

Each filter offers a fixed list and applies only what it offered
(``OfferedChoicesFilter``), so ``?signup_year=abc`` is ignored with a warning
instead of answering 500.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from stitchengage.admin_query import OfferedChoicesFilter

from . import selectors
from .models import RiskTier
from .roles import STYLISTS


class StylistListFilter(OfferedChoicesFilter):
    """Filter by stylist, listing members of the Stylists group (no table scan).

    A stylist who sees only their own clients gets no such filter: it would list
    every colleague's name and narrow nothing.
    """

    title = "stylist"
    parameter_name = "stylist"
    stylist_field = "stylist_id"

    def lookups(self, request, model_admin):
        if not selectors.user_sees_all_clients(request.user):
            return []
        users = (
            get_user_model()
            .objects.filter(groups__name=STYLISTS)
            .order_by("first_name", "username")
        )
        return [(str(u.pk), u.get_full_name() or u.username) for u in users]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.stylist_field: value}) if value else queryset


class RiskTierFilter(OfferedChoicesFilter):
    """Filter by current risk tier; "Not scored yet" means no current score."""

    title = "risk tier"
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return RiskTier.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == RiskTier.UNSCORED:
            return queryset.filter(score__isnull=True)
        if value:
            return queryset.filter(score__risk_tier=value)
        return queryset


class SignupPeriodFilter(OfferedChoicesFilter):
    """The last six signup years, then everything before them."""

    title = "signup period"
    parameter_name = "signup_year"
    YEARS = 6

    def lookups(self, request, model_admin):
        this_year = timezone.localdate().year
        years = range(this_year, this_year - self.YEARS, -1)
        return [(str(y), str(y)) for y in years] + [
            ("older", f"Before {this_year - self.YEARS + 1}")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "older":
            first_year = timezone.localdate().year - self.YEARS + 1
            return queryset.filter(signup_date__year__lt=first_year)
        return queryset.filter(signup_date__year=int(value))


class RatingFilter(OfferedChoicesFilter):
    """Feedback rating with fixed choices (the default lists DISTINCT over all rows)."""

    title = "feedback rating"
    parameter_name = "rating"

    def lookups(self, request, model_admin):
        return [(str(n), "★" * n) for n in range(5, 0, -1)] + [("none", "No rating")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(rating__isnull=True)
        if value:
            return queryset.filter(rating=int(value))
        return queryset
