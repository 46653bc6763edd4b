"""A paginator for big admin lists: it never counts more rows than it can page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

# 200 pages of 50: beyond that, searching or filtering beats paging.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Count at most ``COUNT_CAP`` rows (COUNT(*) of a million orders takes ~200 ms).

    The admin then shows up to the cap's pages; a narrower filter or a search finds
    the rest.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if hasattr(queryset, "query"):
            return queryset.order_by()[:COUNT_CAP].count()
        return len(queryset)
