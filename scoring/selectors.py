"""Reads for scoring: one set-based aggregation of the order book."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import ModelFit, ScoreSnapshot, ScoringRun

# Orders that count as a transaction: anything not canceled that was ordered
# by the scoring date (a scheduled Fix in the future is not a purchase yet).
_AGGREGATE_SQL = """
WITH daily AS (
    SELECT client_id, {day} AS d, SUM(amount) AS amt,
           SUM(items_sent) AS sent, SUM(items_kept) AS kept,
           SUM(rating) AS rating_sum, COUNT(rating) AS rating_n,
           COUNT(*) AS n_orders, MAX(ordered_at) AS last_at
    FROM customers_order
    WHERE status <> 'canceled' AND ordered_at <= %s {client_filter}
    GROUP BY client_id, {day}
), ranked AS (
    SELECT daily.*, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY d) AS rn
    FROM daily
)
SELECT client_id, COUNT(*), MIN(d), MAX(d), SUM(amt),
       SUM(CASE WHEN rn = 1 THEN amt ELSE 0 END),
       SUM(sent), SUM(kept), SUM(rating_sum), SUM(rating_n),
       SUM(n_orders), MAX(last_at)
FROM ranked
GROUP BY client_id
ORDER BY client_id
"""


@dataclass(frozen=True)
class OrderStats:
    """Per-client order statistics as aligned numpy arrays (one row per client).

    Days are whole calendar days in the project's time zone; same-day orders
    count as one transaction, as in the BG/NBD literature.
    """

    client_ids: np.ndarray
    order_days: np.ndarray
    first_day: np.ndarray  # days since the epoch
    last_day: np.ndarray
    total_amount: np.ndarray
    first_day_amount: np.ndarray
    items_sent: np.ndarray
    items_kept: np.ndarray
    rating_sum: np.ndarray
    rating_n: np.ndarray
    n_orders: np.ndarray
    last_ordered_at: list[dt.datetime]

    def __len__(self) -> int:
        return int(self.client_ids.size)


_EPOCH = dt.date(1970, 1, 1)


def _day_expression() -> str:
    if connection.vendor == "postgresql":
        tz = settings.TIME_ZONE.replace("'", "")
        return f"(ordered_at AT TIME ZONE '{tz}')::date"
    return "date(ordered_at)"


def _to_days(values) -> np.ndarray:
    days = np.array(
        [(v if isinstance(v, dt.date) else dt.date.fromisoformat(v)) for v in values],
        dtype="datetime64[D]",
    )
    return days.astype(np.int64)


def _aware(value) -> dt.datetime:
    # SQLite returns text for MAX() over a datetime column.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def order_stats(
    *, as_of: dt.datetime, client_ids: list[int] | None = None
) -> OrderStats:
    """Aggregate the order book per client in one query (no query per client)."""
    params: list = [as_of]
    client_filter = ""
    if client_ids is not None:
        placeholders = ", ".join(["%s"] * len(client_ids)) or "NULL"
        client_filter = f"AND client_id IN ({placeholders})"
        params.extend(client_ids)
    sql = _AGGREGATE_SQL.format(day=_day_expression(), client_filter=client_filter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return OrderStats(*(empty_i,) * 4, *(empty_f,) * 6, empty_i, [])
    cols = list(zip(*rows, strict=True))
    return OrderStats(
        client_ids=np.array(cols[0], dtype=np.int64),
        order_days=np.array(cols[1], dtype=np.int64),
        first_day=_to_days(cols[2]),
        last_day=_to_days(cols[3]),
        total_amount=np.array(cols[4], dtype=np.float64),
        first_day_amount=np.array(cols[5], dtype=np.float64),
        items_sent=np.array(cols[6], dtype=np.float64),
        items_kept=np.array(cols[7], dtype=np.float64),
        rating_sum=np.array([v or 0 for v in cols[8]], dtype=np.float64),
        rating_n=np.array(cols[9], dtype=np.float64),
        n_orders=np.array(cols[10], dtype=np.int64),
        last_ordered_at=[_aware(v) for v in cols[11]],
    )


def model_fit_latest() -> ModelFit | None:
    """Return the most recent model fit, or None before the first scoring run."""
    return ModelFit.objects.order_by("-fitted_at", "-id").first()


def scoring_run_latest_full() -> ScoringRun | None:
    """Return the latest run that scored the whole book (it holds the references)."""
    return (
        ScoringRun.objects.exclude(trigger=ScoringRun.Trigger.ORDER)
        .filter(finished_at__isnull=False)
        .order_by("-started_at", "-id")
        .first()
    )


def client_score_history(*, client_id: int, limit: int = 52) -> list[ScoreSnapshot]:
    """Return a client's most recent snapshots, oldest first (for charts)."""
    rows = list(
        ScoreSnapshot.objects.filter(client_id=client_id).order_by("-scored_at", "-id")[
            :limit
        ]
    )
    rows.reverse()
    return rows
