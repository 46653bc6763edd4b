"""Bulk writes of a scoring run: snapshots (history) and current scores.

Everything a run writes per client is first laid out as aligned numpy arrays
(``score_columns``). On PostgreSQL those stream into a temp staging table with
COPY BINARY (no Python object per value); one INSERT ... SELECT appends the
snapshots, taking each client's previous tier from the current scores, and the
current scores are rebuilt as a fresh table swapped in for the old one
(``table_swap``). Elsewhere (the SQLite demo) the same arrays become model rows.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
from django.db import connection

from customers.models import RiskTier
from scoring import sql
from scoring.models import ClientScore, ScoreSnapshot, ScoringRun
from scoring.pg_binary import HEADER, TRAILER, binary_copy_rows
from scoring.selectors import OrderStats
from scoring.services.predictions import ClientScores
from scoring.services.table_swap import table_swap_begin, table_swap_finish

TIERS = tuple(RiskTier.values)  # a tier travels as its index in this tuple
SCORED_BY = ("bgnbd", "gbdt", "baseline")  # likewise the model that scored
_MAX_NEXT_ORDER_DAYS = 3650
_COPY_CHUNK_ROWS = 50_000
_WORK_MEM = "512MB"

# Staging columns (all snapshot fields but run, scored_at and previous_tier).
COLUMNS: dict[str, str] = {
    "client_id": ">i8",
    "risk_tier": ">i2",
    "engagement_score": ">i2",
    "recency_component": ">f8",
    "frequency_component": ">f8",
    "monetary_component": ">f8",
    "keep_rate_component": ">f8",
    "rating_component": ">f8",
    "orders": ">i4",
    "repeat_orders": ">i4",
    "days_since_last_order": ">i4",
    "tenure_days": ">i4",
    "average_order_value": ">f8",
    "keep_rate": ">f8",
    "average_rating": ">f8",
    "p_alive": ">f8",
    "expected_orders": ">f8",
    "churn_risk": ">f8",
    "clv": ">f8",
    "expected_next_order_in": ">i4",  # days from the scoring date; -1: none
    "scored_by": ">i2",
}
NULLABLE = frozenset(
    {
        "monetary_component",
        "keep_rate_component",
        "rating_component",
        "keep_rate",
        "average_rating",
    }
)
MONEY = {"average_order_value": 10, "clv": 12}  # max digits, 2 decimals
CURRENT = (
    "risk_tier",
    "engagement_score",
    "churn_risk",
    "p_alive",
    "expected_orders",
    "clv",
)


def score_columns(*, stats: OrderStats, scores: ClientScores) -> dict[str, np.ndarray]:
    """Lay out what a run writes per client as arrays, rounded as stored."""
    inputs = scores.inputs
    eng = scores.engagement
    with np.errstate(divide="ignore", invalid="ignore"):
        keep_rate = np.where(
            stats.items_sent > 0, stats.items_kept / stats.items_sent, np.nan
        )
    next_in = scores.expected_next_order_in
    next_ok = np.isfinite(next_in) & (next_in < _MAX_NEXT_ORDER_DAYS)
    tier_codes = {tier: code for code, tier in enumerate(TIERS)}
    return {
        "client_id": stats.client_ids,
        "risk_tier": np.array([tier_codes[t] for t in scores.tiers.tolist()]),
        "engagement_score": np.rint(eng.total),
        "recency_component": np.round(eng.recency, 2),
        "frequency_component": np.round(eng.frequency, 2),
        "monetary_component": np.round(eng.monetary, 2),
        "keep_rate_component": np.round(eng.keep_rate, 2),
        "rating_component": np.round(eng.rating, 2),
        "orders": stats.n_orders,
        "repeat_orders": inputs.frequency,
        "days_since_last_order": inputs.days_since_last_order,
        "tenure_days": inputs.T,
        "average_order_value": np.round(inputs.average_order_value, 2),
        "keep_rate": np.round(keep_rate, 4),
        "average_rating": np.round(inputs.mean_rating, 3),
        "p_alive": np.round(scores.p_alive, 6),
        "expected_orders": np.round(scores.expected_orders, 6),
        "churn_risk": np.round(scores.churn_risk, 6),
        "clv": np.round(scores.clv, 2),
        "expected_next_order_in": np.where(
            next_ok, np.round(np.nan_to_num(next_in)), -1
        ),
        "scored_by": np.full(stats.client_ids.size, scored_by_code(scores.scored_by)),
    }


def scored_by_code(model: str) -> int:
    """Return the stored code of the model that scored (both baselines: baseline)."""
    return SCORED_BY.index("baseline" if model.startswith("baseline") else model)


def scores_write(
    *,
    run: ScoringRun,
    columns: dict[str, np.ndarray],
    as_of: dt.datetime,
    as_of_day: dt.date,
    replace_all: bool,
    reasons: dict[int, list[str]] | None = None,
) -> list[int]:
    """Append a snapshot per client and make these the clients' current scores.

    Returns the ids of the snapshots whose client moved into at_risk. With
    ``replace_all`` (a full run) clients absent from ``columns`` lose their
    current score (they have no countable order any more). Call inside a
    transaction.
    """
    if connection.vendor == "postgresql" and replace_all:
        return _write_postgresql(run, columns, as_of, as_of_day, reasons)
    # Through the ORM (the SQLite demo): bulk inserts in batches.
    snapshots, scores = score_models_build(
        run=run, columns=columns, as_of=as_of, as_of_day=as_of_day, reasons=reasons
    )
    ScoreSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    for snapshot, score in zip(snapshots, scores, strict=True):
        score.snapshot_id = snapshot.pk
    if replace_all:
        ClientScore.objects.all().delete()
        ClientScore.objects.bulk_create(scores, batch_size=2000)
    else:
        ClientScore.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["client"],
            update_fields=[*CURRENT, "scored_at", "snapshot"],
        )
    return [snapshot.pk for snapshot in snapshots if snapshot.moved_into_at_risk]


def _write_postgresql(
    run: ScoringRun,
    columns: dict[str, np.ndarray],
    as_of: dt.datetime,
    as_of_day: dt.date,
    reasons: dict[int, list[str]] | None = None,
) -> list[int]:
    params = {
        "tiers": list(TIERS),
        "scored_by": list(SCORED_BY),
        "day": as_of_day,
        "run": run.pk,
        "as_of": as_of,
    }
    staged = [name for name in COLUMNS if name != "client_id"]
    snapshot_fields = [
        "expected_next_order_on" if n == "expected_next_order_in" else n for n in staged
    ]
    with connection.cursor() as cursor:
        # auto_explain at 1M clients: at 16 MB both hash joins of the snapshot
        # INSERT ran in 2 batches and its RETURNING rows, read twice, spilled
        # ~260 MB to temp files; the fresh table's index builds want memory
        # too. Local to this transaction.
        for statement in sql.memory_set_sql(_WORK_MEM):
            cursor.execute(statement)
        cursor.execute(sql.staging_table_sql(COLUMNS))
        # In chunks: the whole payload at once (and its copies while it was
        # built) was ~0.6 GB of the run's peak at a million clients.
        size = len(columns["client_id"])
        with cursor.cursor.copy(sql.staging_copy_sql()) as copy:
            copy.write(HEADER)
            for start in range(0, size, _COPY_CHUNK_ROWS):
                copy.write(
                    binary_copy_rows(
                        {
                            name: (
                                columns[name][start : start + _COPY_CHUNK_ROWS],
                                dtype,
                            )
                            for name, dtype in COLUMNS.items()
                        }
                    )
                )
            copy.write(TRAILER)
        # Snapshots have no row-by-row foreign key check (see ScoreSnapshot):
        # keep clients from being deleted until this commits (reads go on; edits
        # of client rows wait for the write phase), and write only clients that
        # still exist (one was maybe deleted since the aggregation).
        cursor.execute(sql.clients_lock_sql())
        fresh = table_swap_begin(cursor, ClientScore)
        # One pass: append the snapshots, fill the new current-scores table from
        # the rows just inserted (with their ids), return who moved into at_risk.
        values = sql.staged_values_sql(staged, nullable=NULLABLE, money=MONEY)
        cursor.execute(
            sql.snapshots_append_sql(
                fresh=fresh,
                snapshot_fields=snapshot_fields,
                values=values,
                current=CURRENT,
            ),
            params,
        )
        moved = [row[0] for row in cursor.fetchall()]
        table_swap_finish(cursor, ClientScore, fresh)
        cursor.execute(sql.table_drop_sql(sql.STAGING))
        _reasons_write_postgresql(cursor, run, reasons or {})
    return moved


def _reasons_write_postgresql(cursor, run: ScoringRun, reasons: dict) -> None:
    """Set the churn reasons of this run's snapshots that have any (one UPDATE)."""
    if not reasons:
        return
    cursor.execute(sql.reasons_table_sql())
    with cursor.cursor.copy(sql.reasons_copy_sql()) as copy:
        for client_id, texts in reasons.items():
            if texts:
                copy.write_row((client_id, json.dumps(texts)))
    cursor.execute(sql.reasons_update_sql(), [run.pk])
    cursor.execute(sql.reasons_drop_sql())


def _value(name: str, value: float, as_of_day: dt.date):
    """Turn one staged number back into the model field's value."""
    if name == "risk_tier":
        return TIERS[int(value)]
    if name == "scored_by":
        return SCORED_BY[int(value)]
    if name == "expected_next_order_in":
        return as_of_day + dt.timedelta(days=int(value)) if value >= 0 else None
    if name in NULLABLE and math.isnan(value):
        return None
    if name in MONEY:
        return f"{value:.2f}"
    if COLUMNS[name] != ">f8":
        return int(value)
    return value


def score_models_build(
    *,
    run: ScoringRun,
    columns: dict[str, np.ndarray],
    as_of: dt.datetime,
    as_of_day: dt.date,
    reasons: dict[int, list[str]] | None = None,
) -> tuple[list[ScoreSnapshot], list[ClientScore]]:
    """Build (unsaved) snapshots and current scores from the staged arrays."""
    reasons = reasons or {}
    lists = {name: np.asarray(values).tolist() for name, values in columns.items()}
    client_ids = lists["client_id"]
    current = ClientScore.objects.values_list("client_id", "risk_tier")
    if len(client_ids) < 10_000:
        current = current.filter(client_id__in=client_ids)
    previous = dict(current)
    snapshots, scores = [], []
    for i, client_id in enumerate(client_ids):
        values = {
            name: _value(name, lists[name][i], as_of_day)
            for name in COLUMNS
            if name != "client_id"
        }
        values["expected_next_order_on"] = values.pop("expected_next_order_in")
        snapshots.append(
            ScoreSnapshot(
                client_id=client_id,
                run=run,
                scored_at=as_of,
                previous_tier=previous.get(client_id, RiskTier.UNSCORED),
                churn_reasons=reasons.get(client_id, []),
                **values,
            )
        )
        scores.append(
            ClientScore(
                client_id=client_id,
                scored_at=as_of,
                **{name: values[name] for name in CURRENT},
            )
        )
    return snapshots, scores
