"""What an admin list does with a query string a careless user or a fuzzer sends.

``?signup_year=abc``, ``?stylist=99999999999`` or a drill-down to the year 9999
used to reach the database or Python's date arithmetic and answer 500. Here a
value the list never offered is dropped with a warning above the list, and the
rest of the query still applies.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Lower
from django.http import HttpRequest, QueryDict

from .sql import distinct_values_by_index

_WARNED = "_stitch_ignored_list_params"


def _warn_ignored(request: HttpRequest, what: str, value: str) -> None:
    # A changelist builds its filters more than once per request (facets).
    warned = request.__dict__.setdefault(_WARNED, set())
    if what in warned:
        return
    warned.add(what)
    shown = value if len(value) <= 40 else value[:40] + "..."
    messages.warning(
        request, f"Ignored the {what} filter: '{shown}' is not one of its choices."
    )


class OfferedChoicesFilter(admin.SimpleListFilter):
    """A list filter that applies only the values its ``lookups`` offer.

    Subclasses write ``queryset`` as usual; ``self.value()`` is then always one of
    the offered values (as a string) or None.
    """

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = self.used_parameters.get(self.parameter_name)
        if value is not None and value not in self.offered_values():
            del self.used_parameters[self.parameter_name]
            _warn_ignored(request, str(self.title), str(value))

    def offered_values(self) -> set[str]:
        return {str(lookup) for lookup, _ in self.lookup_choices}


def _drilldown_error(year: str, month: str | None, day: str | None) -> str | None:
    """Return why a date drill-down is not a real period, as Django computes it."""
    try:
        start = dt.date(int(year), int(month or 1), int(day or 1))
        if day:
            start + dt.timedelta(days=1)
        elif month:
            start + dt.timedelta(days=32)
        else:
            start.replace(year=start.year + 1)
    except (ValueError, OverflowError):
        return "-".join(part for part in (year, month, day) if part)
    return None


class SafeListQueryMixin:
    """Drop a date drill-down that names no real period, with a warning.

    Django's own ChangeList turns ``?ordered_at__year=9999`` into the range
    9999..10000 and ``?...__day=99999999999`` into a C integer, both outside its
    ``ValueError`` handling.
    """

    def get_changelist_instance(self, request):
        if self.date_hierarchy:
            request.GET = _without_bad_drilldown(request, self.date_hierarchy)
        return super().get_changelist_instance(request)


def _without_bad_drilldown(request: HttpRequest, field: str) -> QueryDict:
    names = [f"{field}__year", f"{field}__month", f"{field}__day"]
    year, month, day = (request.GET.get(name) for name in names)
    if year is None:
        return request.GET  # Django filters a lone month or day as plain lookups
    error = _drilldown_error(year, month, day)
    if error is None:
        return request.GET
    cleaned = request.GET.copy()
    for name in names:
        cleaned.pop(name, None)
    _warn_ignored(request, "date", error)
    cleaned._mutable = False
    return cleaned


def _case_insensitive(key, searched: set[str]):
    """Return ``key`` as ``Lower(field)`` if it sorts by a searched text field."""
    if not isinstance(key, str):
        return key
    name = key.removeprefix("-")
    if name not in searched:
        return key
    return Lower(name).desc() if key.startswith("-") else Lower(name).asc()


class SearchSortMixin:
    """While searching, sort the searched text fields case-insensitively.

    A search narrows the list by the same fields it is sorted by (names), so
    PostgreSQL's cheapest-looking plan walks the name index in order, filtering,
    until a page of matches turns up: at a million clients "smith" walked 66,000
    rows to reach "Blacksmith" (1.7 s), "smith%" 800,000 to reach "S". No index
    serves ``lower(name)``, so the matches come from the search indexes and only
    they are sorted. Without a search the index order stays.
    """

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if not self.query:
            return ordering
        searched = {
            name.lstrip("^=@") for name in self.model_admin.get_search_fields(request)
        }
        return [_case_insensitive(key, searched) for key in ordering]


class IndexedValuesFieldListFilter(admin.AllValuesFieldListFilter):
    """A field's filter whose choices come from its index, not a whole-table scan.

    The choices are the values in the whole table, not only the rows the user's
    role shows: configuration names such as a prompt variant or a provider, not
    client data.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = distinct_values_by_index(model, field)


def list_filter_indexed(model, entry):
    """Return a list_filter entry with a plain field's filter made index-backed.

    Fields with choices, booleans, dates and relations keep Django's filters
    (none of them scans the table); a plain field would list its values with a
    ``SELECT DISTINCT`` over every row.
    """
    if not isinstance(entry, str) or LOOKUP_SEP in entry:
        return entry
    field = model._meta.get_field(entry)
    if (
        field.is_relation
        or field.flatchoices
        or isinstance(field, models.BooleanField | models.DateField)
    ):
        return entry
    return (entry, IndexedValuesFieldListFilter)
