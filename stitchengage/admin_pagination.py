"""Counting for big admin lists: an estimate when unfiltered, a capped count else.

Django's changelist counts every matching row (``COUNT(*)``) to number its pages:
about 100 ms for a million clients and a second for ten million orders, on every
page view. Nobody pages past the first few hundred pages; they search or filter.
So a list counts at most ``COUNT_CAP`` rows and pages through those, and says how
many there are in words that do not pretend: "about 1,000,000 clients" (the
planner's estimate, ``pg_class.reltuples``, kept up to date by autovacuum's
ANALYZE) for a whole table, "more than 10,000 clients" for a filter that
reaches the cap, the exact number below it.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# 200 pages of 50: beyond that, searching or filtering beats paging.
COUNT_CAP = 10_000


def table_row_estimate(queryset: QuerySet) -> int | None:
    """Return the planner's row estimate for the queryset's table, or None.

    None on other databases and for a table never analysed (reltuples -1).
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def _unfiltered(queryset) -> bool:
    query = getattr(queryset, "query", None)
    return (
        query is not None
        and not query.where
        and not query.distinct
        and query.combinator is None
        and query.low_mark == 0
        and query.high_mark is None
    )


class BigTablePaginator(Paginator):
    """Count at most ``COUNT_CAP`` rows; an unfiltered list takes the estimate.

    ``count`` is what the pages are numbered by (never above the cap);
    ``count_text`` is what the list shows.
    """

    @cached_property
    def estimate(self) -> int | None:
        """The table's estimated size when the list is the whole table and big."""
        if not _unfiltered(self.object_list):
            return None
        estimate = table_row_estimate(self.object_list)
        return estimate if estimate is not None and estimate >= COUNT_CAP else None

    @cached_property
    def _counted(self) -> int:
        """Count up to one row past the cap, to tell "exactly the cap" from more."""
        queryset = self.object_list
        if hasattr(queryset, "query"):
            return queryset.order_by()[: COUNT_CAP + 1].count()
        return len(queryset)

    @cached_property
    def count(self) -> int:
        if self.estimate is not None:
            return COUNT_CAP
        return min(self._counted, COUNT_CAP)

    @cached_property
    def count_text(self) -> str:
        """Return the number of rows in words: exact, "about N" or "more than N"."""
        if self.estimate is not None:
            return f"about {self.estimate:,}"
        if self._counted > COUNT_CAP:
            return f"more than {COUNT_CAP:,}"
        return f"{self.count:,}"


class BigListAdminMixin:
    """A changelist for a big table: no full count, the big-table paginator.

    The counts show through ``admin/pagination.html`` and
    ``admin/search_form.html`` (``cl.paginator.count_text``).
    """

    paginator = BigTablePaginator
    show_full_result_count = False
