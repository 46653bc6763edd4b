"""Reads for scoring: one set-based aggregation of the order book."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from customers.date_bounds import business_started_on
from customers.services.order_summary import DAY_RECORD, first_countable_instant
from scoring.churn_features import OrderHistory

from . import sql
from .models import ModelFit, ScoreSnapshot, ScoringRun
from .pg_binary import binary_copy_decode

_INT_COLUMNS = (0, 1, 2, 3, 5, 10)
_N_COLUMNS = 12
_WIRE_DTYPES = {
    f"c{i}": ">i8" if i in _INT_COLUMNS else ">f8" for i in range(_N_COLUMNS)
}


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
    last_ordered_epoch: np.ndarray  # seconds since the epoch, UTC

    def last_ordered_at(self) -> list[dt.datetime]:
        """Return the latest order instants as aware datetimes."""
        return [
            dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
            for seconds in self.last_ordered_epoch.tolist()
        ]

    def __len__(self) -> int:
        return int(self.client_ids.size)


def _first_instant() -> dt.datetime:
    """Return the first instant an order counts: midnight local, day one of business."""
    return timezone.make_aware(
        dt.datetime.combine(business_started_on(), dt.time.min),
        timezone.get_default_timezone(),
    )


def client_id_ranges(parts: int) -> list[tuple[int, int]]:
    """Split the client ids into ``parts`` contiguous [low, high) ranges."""
    with connection.cursor() as cursor:
        cursor.execute(sql.client_id_bounds_sql())
        low, high = cursor.fetchone()
    if low is None:
        return []
    span = high - low + 1
    edges = sorted({low + span * i // parts for i in range(parts)} | {high + 1})
    return list(itertools.pairwise(edges))


def _matrix_postgresql(as_of: dt.datetime, parts: int) -> np.ndarray:
    """Run the aggregation on PostgreSQL, ``parts`` id ranges in parallel.

    The ranges are the branches of one UNION ALL, which the planner runs as a
    Parallel Append (one branch per process), and the result streams back as
    COPY BINARY, decoded by numpy without a Python object per value
    (``scoring.pg_binary``).
    """
    ranges = client_id_ranges(parts)
    if not ranges:
        return np.zeros((0, _N_COLUMNS))
    branch = sql.order_stats_sql(client_filter="AND client_id >= %s AND client_id < %s")
    query = "\nUNION ALL\n".join(f"({branch})" for _ in ranges)
    first = _first_instant()
    params = [value for low, high in ranges for value in (first, as_of, low, high)]
    buffer = bytearray()
    with transaction.atomic(), connection.cursor() as cursor:
        if len(ranges) > 1:
            # Each branch is a serial plan; these make one process per branch cheap.
            for statement in sql.parallel_free_sql():
                cursor.execute(statement)
        raw = cursor.cursor  # the psycopg 3 cursor, for COPY
        with raw.copy(sql.copy_out_sql(query), params) as copy:
            for chunk in copy:
                buffer += chunk
    rows = binary_copy_decode(buffer, _WIRE_DTYPES)
    matrix = np.empty((rows.size, _N_COLUMNS))
    for i in range(_N_COLUMNS):
        matrix[:, i] = rows[f"c{i}"]
    return matrix[np.argsort(matrix[:, 0], kind="stable")]


def _matrix_generic(as_of: dt.datetime, client_ids: list[int] | None) -> np.ndarray:
    # As the ORM stores them (SQLite compares text: naive UTC, no offset).
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [adapt(_first_instant()), adapt(as_of)]
    client_filter = ""
    if client_ids is not None:
        placeholders = ", ".join(["%s"] * len(client_ids)) or "NULL"
        client_filter = f"AND client_id IN ({placeholders})"
        params.extend(client_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.order_stats_sql(client_filter=client_filter) + " ORDER BY 1", params
        )
        rows = cursor.fetchall()
    # All columns are numbers, so one float64 matrix converts them at C speed.
    return np.array(rows, dtype=np.float64).reshape(-1, _N_COLUMNS)


def order_stats(
    *, as_of: dt.datetime, client_ids: list[int] | None = None
) -> OrderStats:
    """Aggregate the order book per client in one query (no query per client).

    Orders count from ``BUSINESS_STARTED_ON`` to ``as_of``. On PostgreSQL the
    whole book is aggregated by ``SCORING_AGGREGATE_PARTS`` processes at once
    (one query); a list of clients, or SQLite, runs plainly.
    """
    if connection.vendor == "postgresql" and client_ids is None:
        matrix = _matrix_postgresql(as_of, max(1, settings.SCORING_AGGREGATE_PARTS))
    else:
        matrix = _matrix_generic(as_of, client_ids)
    as_int = matrix.astype(np.int64)
    return OrderStats(
        client_ids=as_int[:, 0].copy(),
        order_days=as_int[:, 1].copy(),
        first_day=as_int[:, 2].copy(),
        last_day=as_int[:, 3].copy(),
        total_amount=matrix[:, 4].copy(),
        first_day_amount=matrix[:, 5] / 100.0,
        items_sent=matrix[:, 6].copy(),
        items_kept=matrix[:, 7].copy(),
        rating_sum=matrix[:, 8].copy(),
        rating_n=matrix[:, 9].copy(),
        n_orders=as_int[:, 10].copy(),
        last_ordered_epoch=matrix[:, 11].copy(),
    )


def model_fit_latest_accepted() -> ModelFit | None:
    """Return the most recent accepted fit (the one to score with), or None.

    A rejected (degenerate) fit is on record but never scores anyone.
    """
    return (
        ModelFit.objects.filter(status=ModelFit.Status.ACCEPTED)
        .order_by("-fitted_at", "-id")
        .first()
    )


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


_HISTORY_DTYPES = {f"c{i}": ">i8" if i < 2 else ">f8" for i in range(6)}


def order_history(
    *,
    as_of: dt.datetime,
    client_ids: list[int] | None = None,
    sample_every: int | None = None,
    id_range: tuple[int, int] | None = None,
) -> tuple[np.ndarray, OrderHistory]:
    """Return (client ids, their daily order history) up to ``as_of``, set-based.

    ``sample_every`` keeps one client in that many (by id), for training rows;
    ``id_range`` [low, high) reads the book in parts (bounded memory).
    The history's client codes index the returned ids (sorted).
    """
    adapt = connection.ops.adapt_datetimefield_value
    filters, params = [], []
    if client_ids is not None:
        filters.append(
            f"AND client_id IN ({', '.join(['%s'] * len(client_ids)) or 'NULL'})"
        )
        params.extend(client_ids)
    if id_range is not None:
        filters.append("AND client_id >= %s AND client_id < %s")
        params.extend(id_range)
    if sample_every and sample_every > 1:
        filters.append(f"AND client_id %% {int(sample_every)} = 0")
    query = sql.order_history_sql(client_filter=" ".join(filters))
    if connection.vendor == "postgresql":
        buffer = bytearray()
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                sql.copy_out_sql(query),
                [_first_instant(), as_of, *params],
            ) as copy,
        ):
            for chunk in copy:
                buffer += chunk
        rows = binary_copy_decode(buffer, _HISTORY_DTYPES)
        del buffer
        columns = [
            np.asarray(rows[f"c{i}"], dtype=_HISTORY_DTYPES[f"c{i}"][1:])
            for i in range(6)
        ]
        columns = [
            c.astype(np.int64 if i < 2 else np.float64) for i, c in enumerate(columns)
        ]
        del rows
    else:
        with connection.cursor() as cursor:
            cursor.execute(query, [adapt(_first_instant()), adapt(as_of), *params])
            matrix = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 6)
        columns = [matrix[:, i] for i in range(6)]
    ids, code = np.unique(columns[0].astype(np.int64), return_inverse=True)
    history = OrderHistory.build(
        client=code,
        day=columns[1].astype(np.int64),
        amount=columns[2],
        items_sent=columns[3],
        items_kept=columns[4],
        rating=columns[5],
        n_clients=ids.size,
    )
    return ids, history


@dataclass(frozen=True)
class OrderBook:
    """The whole book read once: per-client statistics and daily history.

    ``stats`` describes every client; ``parts`` holds the same clients' daily
    history as (client ids, history) per id range, in order, so the fit, the
    trees' features and the training sample come from one read. Kept in parts,
    never joined: one joined copy of 10M client-days is ~0.5 GB more at peak.
    """

    stats: OrderStats
    parts: list[tuple[np.ndarray, OrderHistory]]

    def history(self) -> tuple[np.ndarray, OrderHistory]:
        """Return (client ids, history) of the whole book joined (tests)."""
        ids = np.concatenate([part_ids for part_ids, _ in self.parts])
        return ids, histories_join([history for _, history in self.parts])


def histories_join(histories: list[OrderHistory]) -> OrderHistory:
    """Return consecutive parts' histories as one (client codes offset)."""
    offsets = np.cumsum([0, *(h.n_clients for h in histories)])[:-1]
    return OrderHistory(
        client=np.concatenate(
            [h.client + o for h, o in zip(histories, offsets, strict=True)]
        ),
        day=np.concatenate([h.day for h in histories]),
        amount=np.concatenate([h.amount for h in histories]),
        items_sent=np.concatenate([h.items_sent for h in histories]),
        items_kept=np.concatenate([h.items_kept for h in histories]),
        rating=np.concatenate([h.rating for h in histories]),
        n_clients=int(sum(h.n_clients for h in histories)),
    )


def _records_decode(ids: bytes | None, lengths: bytes | None, days: bytes | None):
    """Return (client id per record, records) from the three aggregated blobs."""
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, DAY_RECORD)
    client_ids = np.frombuffer(ids, ">i8").astype(np.int64)
    counts = np.frombuffer(lengths, ">i4").astype(np.int64) // DAY_RECORD.itemsize
    records = np.frombuffer(days, DAY_RECORD)
    owner = np.repeat(client_ids, counts)
    if client_ids.size > 1 and (np.diff(client_ids) < 0).any():
        # Stable: each client's records stay in day order.
        order = np.argsort(owner, kind="stable")
        owner, records = owner[order], records[order]
    return owner, records


def _records_as_of(
    *, as_of: dt.datetime, client_ids: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Build the day records of these clients from their orders up to ``as_of``."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.records_as_of_sql(), [first_countable_instant(), client_ids, as_of]
        )
        return _records_decode(*cursor.fetchone())


def _part_stats(owner: np.ndarray, records: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return per-client statistics of records sorted by (client, day)."""
    new = np.r_[True, owner[1:] != owner[:-1]][: owner.size]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], owner.size][: starts.size] - 1
    code = np.cumsum(new) - 1
    n = starts.size

    def total(field: str) -> np.ndarray:
        return np.bincount(code, weights=records[field].astype(np.float64), minlength=n)

    amount = records["amount"].astype(np.float64)
    return (
        owner[starts],
        (ends - starts + 1).astype(np.int64),
        records["day"][starts].astype(np.int64),
        records["day"][ends].astype(np.int64),
        np.bincount(code, weights=amount, minlength=n),
        np.round(amount[starts] * 100) / 100.0,
        total("items_sent"),
        total("items_kept"),
        total("rating_sum"),
        total("rating_n"),
        total("orders").astype(np.int64),
        records["last_epoch"][ends].astype(np.float64),
    ), code


def order_book(*, as_of: dt.datetime, parts: int | None = None) -> OrderBook:
    """Read every client's order summary (one pass) as scoring inputs at ``as_of``.

    The same numbers ``order_stats`` and ``order_history`` aggregate from the
    orders (tested against them), from one row per client. Future Fixes are
    dropped by day; a client with a Fix later on ``as_of``'s own day (the
    summary keeps a day's latest instant only) is rebuilt from its orders.
    Read in ``parts`` id ranges so only one part's raw records are in memory.
    PostgreSQL only (SQLite keeps no summary).
    """
    parts = max(1, parts or settings.SCORING_PREDICT_PARTS)
    as_of_day = (timezone.localtime(as_of).date() - dt.date(1970, 1, 1)).days
    cut = as_of.timestamp()
    stats_parts: list[tuple[np.ndarray, ...]] = []
    history_parts: list[tuple[np.ndarray, OrderHistory]] = []
    for low, high in client_id_ranges(parts):
        connection.ensure_connection()
        # Binary results (bytea as raw bytes, not hex text twice the size) need
        # psycopg's server-side-binding cursor; Django's is client-side.
        with psycopg.Cursor(connection.connection) as raw:
            raw.execute(sql.book_part_sql(), [low, high], binary=True)
            blobs = raw.fetchone()
        owner, records = _records_decode(*blobs)
        del blobs
        day, epoch = records["day"], records["last_epoch"]
        late = (day == as_of_day) & (epoch > cut)
        redo = np.unique(owner[late])
        keep = (day < as_of_day) | ((day == as_of_day) & ~late)
        if redo.size:
            keep &= ~np.isin(owner, redo)
        owner, records = owner[keep], records[keep]
        if redo.size:
            more_owner, more = _records_as_of(as_of=as_of, client_ids=redo.tolist())
            owner = np.concatenate([owner, more_owner])
            records = np.concatenate([records, more])
            # Stable: each client's records stay in day order.
            order = np.argsort(owner, kind="stable")
            owner, records = owner[order], records[order]
        columns, code = _part_stats(owner, records)
        stats_parts.append(columns)
        settled = records["settled_sent"] >= 0
        rated = records["rating_n"] > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            rating = records["rating_sum"] / records["rating_n"].astype(np.float64)
        history = OrderHistory(
            client=code.astype(np.int64),
            day=records["day"].astype(np.int64),
            amount=records["amount"].astype(np.float64),
            items_sent=np.where(settled, records["settled_sent"], np.nan),
            items_kept=np.where(settled, records["settled_kept"], np.nan),
            rating=np.where(rated, rating, np.nan),
            n_clients=int(columns[0].size),
        )
        history_parts.append((columns[0], history))
        del owner, records
    if not stats_parts:
        stats_parts = [_part_stats(np.zeros(0, np.int64), np.zeros(0, DAY_RECORD))[0]]
    stats = OrderStats(
        *(np.concatenate([part[i] for part in stats_parts]) for i in range(12))
    )
    return OrderBook(stats=stats, parts=history_parts)
