"""Keep each client's order summary (``ClientOrderSummary``) in step with orders.

Every order write calls ``client_order_summaries_refresh`` in its own
transaction (through ``order_facts.clients_order_facts_refresh``, which every
write path already calls), so the summary never lags the orders a committed
transaction holds. A refresh recomputes the clients' rows from their orders
with one set-based statement rather than applying deltas: an edit that moves
a Fix to another day, cancels it or changes its rating then needs no rule of
its own, and a client's few dozen orders are one index range.

The rows are built in SQL on PostgreSQL (the statements: ``customers/sql.py``).
SQLite (the demo) keeps no summary: scoring there reads the orders as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from customers.date_bounds import business_started_on
from customers.sql import (
    summaries_lock_and_clear_sql,
    summaries_orphaned_delete_sql,
    summary_rows_sql,
    summary_upsert_sql,
)

# One record per order day, big-endian as PostgreSQL's *send() functions write
# them (``customers.sql`` builds them). Counts are int4 so no day of many Fixes
# can overflow; -1 in the settled columns means no Fix of that day is settled
# (kept or returned) yet.
DAY_RECORD = np.dtype(
    [
        ("day", ">i4"),  # days since 1970-01-01, local calendar
        ("last_epoch", ">f8"),  # latest order instant that day, seconds UTC
        ("amount", ">f8"),
        ("orders", ">i4"),
        ("items_sent", ">i4"),
        ("items_kept", ">i4"),
        ("settled_sent", ">i4"),
        ("settled_kept", ">i4"),
        ("rating_sum", ">i4"),
        ("rating_n", ">i4"),
    ]
)


def first_countable_instant() -> dt.datetime:
    """Return the first instant a Fix counts: midnight local, day one of business."""
    return timezone.make_aware(
        dt.datetime.combine(business_started_on(), dt.time.min),
        timezone.get_default_timezone(),
    )


def client_order_summaries_refresh(
    *, client_pks: Iterable[int], batch_size: int = 2000
) -> None:
    """Recompute these clients' summary rows from their orders, in SQL.

    Call it inside the transaction that wrote the orders, after the client rows
    are locked (``clients_order_facts_refresh`` updates them first): a second
    writer of the same client then waits, and its statement, started after the
    first commits, sees both writers' orders. Clients left with no countable
    Fix lose their row.
    """
    if connection.vendor != "postgresql":
        return
    pks = sorted(set(client_pks))
    upsert = summary_upsert_sql(filters="AND client_id = ANY(%s)")
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            batch = pks[start : start + batch_size]
            first = first_countable_instant()
            cursor.execute(upsert, [first, batch])
            cursor.execute(summaries_orphaned_delete_sql(), [batch, first])


def client_order_summaries_rebuild() -> int:
    """Rebuild every summary row from the orders; return the number of rows.

    For repair, and after a change to what a summary holds. The EXCLUSIVE lock
    (reads go on) waits for writers that refreshed rows already and holds back
    the next until commit, whose refresh then runs on top: nothing is lost.
    """
    if connection.vendor != "postgresql":
        return 0
    lock, clear = summaries_lock_and_clear_sql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(lock)
        cursor.execute(clear)
        cursor.execute(summary_upsert_sql(), [first_countable_instant()])
        return cursor.rowcount


__all__ = [
    "DAY_RECORD",
    "client_order_summaries_rebuild",
    "client_order_summaries_refresh",
    "first_countable_instant",
    "summary_rows_sql",  # read by scoring.selectors
]
