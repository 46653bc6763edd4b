"""Keep each client's order summary (``ClientOrderSummary``) in step with orders.

Every order write calls ``client_order_summaries_refresh`` in its own
transaction (through ``order_facts.clients_order_facts_refresh``, which every
write path already calls), so the summary never lags the orders a committed
transaction holds. A refresh recomputes the clients' rows from their orders
with one set-based statement rather than applying deltas: an edit that moves
a Fix to another day, cancels it or changes its rating then needs no rule of
its own, and a client's few dozen orders are one index range.

The rows are built in SQL on PostgreSQL. SQLite (the demo) keeps no summary:
scoring there reads the orders as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from customers.date_bounds import business_started_on
from customers.models import ClientOrderSummary, Order

# One record per order day, big-endian as PostgreSQL's *send() functions write
# them. Counts are int4 so no day of many Fixes can overflow; -1 in the settled
# columns means no Fix of that day is settled (kept or returned) yet.
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

_DAILY_SQL = """
SELECT client_id, {day} AS d, MAX(ordered_at) AS last_at,
       CAST(SUM(amount) AS DOUBLE PRECISION) AS amt, SUM(amount) AS amt_exact,
       COUNT(*) AS n, SUM(items_sent) AS sent, SUM(items_kept) AS kept,
       SUM(CASE WHEN status IN ('kept', 'returned') THEN items_sent END) AS s_sent,
       SUM(CASE WHEN status IN ('kept', 'returned') THEN items_kept END) AS s_kept,
       COALESCE(SUM(rating), 0) AS r_sum, COUNT(rating) AS r_n
FROM {orders}
WHERE status <> 'canceled' AND ordered_at >= %s {filters}
GROUP BY client_id, {day}
"""
_RECORD_SQL = (
    "int4send(d::int4) || float8send(EXTRACT(EPOCH FROM last_at)::float8)"
    " || float8send(amt) || int4send(n::int4) || int4send(sent::int4)"
    " || int4send(kept::int4) || int4send(COALESCE(s_sent, -1)::int4)"
    " || int4send(COALESCE(s_kept, -1)::int4) || int4send(r_sum::int4)"
    " || int4send(r_n::int4)"
)
_COLUMNS = (
    "client_id",
    "order_days",
    "first_order_on",
    "last_order_on",
    "last_ordered_at",
    "amount_total",
    "items_sent",
    "items_kept",
    "rating_sum",
    "rating_count",
    "days",
)
_ROWS_SQL = """
SELECT client_id, COUNT(*), DATE '1970-01-01' + MIN(d), DATE '1970-01-01' + MAX(d),
       MAX(last_at), SUM(amt_exact), SUM(sent), SUM(kept), SUM(r_sum), SUM(r_n),
       string_agg({record}, ''::bytea ORDER BY d)
FROM ({daily}) AS daily
GROUP BY client_id
"""


def _day_sql() -> str:
    tz = settings.TIME_ZONE.replace("'", "")
    return f"((ordered_at AT TIME ZONE '{tz}')::date - DATE '1970-01-01')"


def first_countable_instant() -> dt.datetime:
    """Return the first instant a Fix counts: midnight local, day one of business."""
    return timezone.make_aware(
        dt.datetime.combine(business_started_on(), dt.time.min),
        timezone.get_default_timezone(),
    )


def summary_rows_sql(*, filters: str = "") -> str:
    """Return SELECT of summary rows (``_COLUMNS``) from the orders, by client.

    Parameters: the first countable instant, then those of ``filters``.
    """
    daily = _DAILY_SQL.format(
        day=_day_sql(), orders=Order._meta.db_table, filters=filters
    )
    return _ROWS_SQL.format(record=_RECORD_SQL, daily=daily)


def _upsert_sql(filters: str) -> str:
    table = ClientOrderSummary._meta.db_table
    columns = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
    return (
        f"INSERT INTO {table} ({columns}) {summary_rows_sql(filters=filters)} "
        f"ON CONFLICT (client_id) DO UPDATE SET {updates}"
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
    table = ClientOrderSummary._meta.db_table
    orders = Order._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            batch = pks[start : start + batch_size]
            first = first_countable_instant()
            cursor.execute(_upsert_sql("AND client_id = ANY(%s)"), [first, batch])
            cursor.execute(
                f"DELETE FROM {table} s WHERE s.client_id = ANY(%s) "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {orders} o "
                "WHERE o.client_id = s.client_id AND o.status <> 'canceled' "
                "AND o.ordered_at >= %s)",
                [batch, first],
            )


def client_order_summaries_rebuild() -> int:
    """Rebuild every summary row from the orders; return the number of rows.

    For repair, and after a change to what a summary holds. The EXCLUSIVE lock
    (reads go on) waits for writers that refreshed rows already and holds back
    the next until commit, whose refresh then runs on top: nothing is lost.
    DELETE, not TRUNCATE: a caller's transaction may have deferred FK checks
    pending, which TRUNCATE refuses.
    """
    if connection.vendor != "postgresql":
        return 0
    table = ClientOrderSummary._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(_upsert_sql(""), [first_countable_instant()])
        return cursor.rowcount
