"""Bulk writes of a scoring run: snapshots and the clients' current scores.

On PostgreSQL both go through COPY (snapshots straight into their table; the
current scores into a temp table, then one UPDATE ... FROM). Elsewhere (the
SQLite demo) bulk_create/bulk_update in batches.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import numpy as np
from django.db import connection

from customers.models import Client
from scoring.models import ScoreSnapshot, ScoringRun
from scoring.selectors import OrderStats
from scoring.services.predictions import ClientScores

SNAPSHOT_COLUMNS = (
    "client_id",
    "run_id",
    "scored_at",
    "previous_tier",
    "risk_tier",
    "engagement_score",
    "recency_component",
    "frequency_component",
    "monetary_component",
    "keep_rate_component",
    "rating_component",
    "orders",
    "repeat_orders",
    "days_since_last_order",
    "tenure_days",
    "average_order_value",
    "keep_rate",
    "average_rating",
    "p_alive",
    "expected_orders",
    "churn_risk",
    "clv",
    "expected_next_order_on",
)
CLIENT_COLUMNS = (
    "id",
    "risk_tier",
    "engagement_score",
    "churn_risk",
    "p_alive",
    "expected_orders",
    "clv",
    "last_order_at",
    "order_count",
    "scored_at",
)
_MAX_NEXT_ORDER_DAYS = 3650


def _opt(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values.tolist()]


def _money(values: np.ndarray) -> list[str]:
    return [f"{v:.2f}" for v in np.round(values, 2).tolist()]


def snapshot_rows(
    *,
    run: ScoringRun,
    stats: OrderStats,
    scores: ClientScores,
    previous_tiers: np.ndarray,
    as_of: dt.datetime,
    as_of_day: dt.date,
) -> Iterator[tuple]:
    """Yield one tuple per client in ``SNAPSHOT_COLUMNS`` order."""
    inputs = scores.inputs
    eng = scores.engagement
    with np.errstate(divide="ignore", invalid="ignore"):
        keep_rate = np.where(
            stats.items_sent > 0, stats.items_kept / stats.items_sent, np.nan
        )
    next_in = scores.expected_next_order_in
    next_ok = np.isfinite(next_in) & (next_in < _MAX_NEXT_ORDER_DAYS)
    next_days = np.where(next_ok, np.round(np.nan_to_num(next_in)), 0).astype(np.int64)
    columns = (
        stats.client_ids.tolist(),
        [run.pk] * len(stats),
        [as_of] * len(stats),
        previous_tiers.tolist(),
        scores.tiers.tolist(),
        np.rint(eng.total).astype(np.int64).tolist(),
        np.round(eng.recency, 2).tolist(),
        np.round(eng.frequency, 2).tolist(),
        _opt(np.round(eng.monetary, 2)),
        _opt(np.round(eng.keep_rate, 2)),
        _opt(np.round(eng.rating, 2)),
        stats.n_orders.tolist(),
        inputs.frequency.astype(np.int64).tolist(),
        inputs.days_since_last_order.astype(np.int64).tolist(),
        inputs.T.astype(np.int64).tolist(),
        _money(inputs.average_order_value),
        _opt(np.round(keep_rate, 4)),
        _opt(np.round(inputs.mean_rating, 3)),
        np.round(scores.p_alive, 6).tolist(),
        np.round(scores.expected_orders, 6).tolist(),
        np.round(scores.churn_risk, 6).tolist(),
        _money(scores.clv),
        [
            as_of_day + dt.timedelta(days=int(d)) if ok else None
            for d, ok in zip(next_days.tolist(), next_ok.tolist(), strict=True)
        ],
    )
    return zip(*columns, strict=True)


def client_rows(
    *, stats: OrderStats, scores: ClientScores, as_of: dt.datetime
) -> Iterator[tuple]:
    """Yield one tuple per client in ``CLIENT_COLUMNS`` order."""
    columns = (
        stats.client_ids.tolist(),
        scores.tiers.tolist(),
        np.rint(scores.engagement.total).astype(np.int64).tolist(),
        np.round(scores.churn_risk, 6).tolist(),
        np.round(scores.p_alive, 6).tolist(),
        np.round(scores.expected_orders, 6).tolist(),
        _money(scores.clv),
        stats.last_ordered_at(),
        stats.n_orders.tolist(),
        [as_of] * len(stats),
    )
    return zip(*columns, strict=True)


def scores_write(
    *, snapshot_rows: Iterator[tuple], client_rows: Iterator[tuple]
) -> None:
    """Write snapshots and current scores; call inside a transaction."""
    if connection.vendor == "postgresql":
        _write_postgresql(snapshot_rows, client_rows)
    else:
        _write_generic(snapshot_rows, client_rows)


def _write_postgresql(
    snapshot_rows: Iterator[tuple], client_rows: Iterator[tuple]
) -> None:
    table = ScoreSnapshot._meta.db_table
    client_table = Client._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor, for COPY
        with raw.copy(
            f"COPY {table} ({', '.join(SNAPSHOT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in snapshot_rows:
                copy.write_row(row)
        cursor.execute(
            "CREATE TEMP TABLE scoring_current (id bigint PRIMARY KEY, "
            "risk_tier varchar(16), engagement_score smallint, churn_risk float8, "
            "p_alive float8, expected_orders float8, clv numeric(12, 2), "
            "last_order_at timestamptz, order_count integer, scored_at timestamptz"
            ") ON COMMIT DROP"
        )
        with raw.copy(
            f"COPY scoring_current ({', '.join(CLIENT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in client_rows:
                copy.write_row(row)
        assignments = ", ".join(f"{c} = s.{c}" for c in CLIENT_COLUMNS[1:])
        cursor.execute(
            f"UPDATE {client_table} AS c SET {assignments} "  # noqa: S608 - fixed names
            "FROM scoring_current AS s WHERE c.id = s.id"
        )
        cursor.execute("DROP TABLE scoring_current")


def _write_generic(
    snapshot_rows: Iterator[tuple], client_rows: Iterator[tuple], batch: int = 2000
) -> None:
    snapshots = [
        ScoreSnapshot(**dict(zip(SNAPSHOT_COLUMNS, row, strict=True)))
        for row in snapshot_rows
    ]
    ScoreSnapshot.objects.bulk_create(snapshots, batch_size=batch)
    # executemany of a plain UPDATE: bulk_update's CASE expressions crawl on SQLite.
    assignments = ", ".join(f"{c} = %s" for c in CLIENT_COLUMNS[1:])
    sql = f"UPDATE {Client._meta.db_table} SET {assignments} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row[1:], row[0]) for row in client_rows])
