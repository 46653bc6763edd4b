"""List filters of the review desk: the queue by default, fixed choices elsewhere."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.utils import timezone

from customers.admin_filters import StylistListFilter
from emails.models import EmailStatus
from stitchengage.admin_query import OfferedChoicesFilter


class ReviewQueueFilter(admin.SimpleListFilter):
    """Open the list on the drafts awaiting review; "All emails" shows the rest.

    The queue is the default only while nothing else picks the statuses: a
    search or the status filter looks through every email.
    """

    title = "queue"
    parameter_name = "queue"
    PENDING = "pending"
    ALL = "all"

    def __init__(self, request, params, model, model_admin):
        self._narrowed = "status__exact" in request.GET or bool(request.GET.get("q"))
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(self.PENDING, "Review queue"), (self.ALL, "All emails")]

    def value(self):
        value = super().value()
        if value in (self.PENDING, self.ALL):
            return value
        return self.ALL if self._narrowed else self.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.PENDING:
            return queryset.filter(status=EmailStatus.PENDING_REVIEW)
        return queryset


class EmailStylistFilter(StylistListFilter):
    """The client's stylist, from the Stylists group (no DISTINCT over emails)."""

    stylist_field = "client__stylist_id"


class CreatedAgeFilter(OfferedChoicesFilter):
    """How long a draft has been around; fixed ranges over the indexed date."""

    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("today", "Created today"),
            ("7d", "Last 7 days"),
            ("older", "Older than 7 days"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        now = timezone.now()
        if value == "today":
            midnight = dt.datetime.combine(timezone.localdate(now), dt.time.min)
            return queryset.filter(created_at__gte=timezone.make_aware(midnight))
        if value == "7d":
            return queryset.filter(created_at__gte=now - dt.timedelta(days=7))
        if value == "older":
            return queryset.filter(created_at__lt=now - dt.timedelta(days=7))
        return queryset
