"""Thin old score snapshots: every run for recent months, one a week before that.

A full run appends one snapshot per client (a million rows a night at 1M
clients), so without thinning the table, and its (client, run) index that every
run writes into, only grows. Older than ``SCORING_SNAPSHOT_KEEP_DAYS`` a client
keeps, per week, its last snapshot of the week and every snapshot that is still
needed: a tier change (the history of moves between tiers stays exact), the
snapshot an email or a holdout assignment was made from, and the current score's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, ForeignObjectRel, Max, Min, QuerySet, Window
from django.db.models.functions import RowNumber, TruncWeek
from django.utils import timezone

from customers.models import Client
from scoring import sql
from scoring.models import ScoreSnapshot, ScoringRun

DEFAULT_BATCH_CLIENTS = 50_000
# A snapshot's time is its run's "as of", taken when the run starts; a margin
# for long runs. Runs backdated further (seeded history) need a --full pass.
RUN_MARGIN = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What a pruning pass did (or, dry, would do)."""

    cutoff: dt.datetime
    deleted: int
    batches: int


def snapshots_superseded(
    *,
    cutoff: dt.datetime,
    since: dt.datetime | None = None,
    client_ids: tuple[int, int] | None = None,
) -> QuerySet[ScoreSnapshot]:
    """Return the snapshots older than ``cutoff`` that thinning would remove.

    Not the last of its client's week (weeks by the current time zone) and not
    a tier change; whether anything still refers to them is checked apart.
    ``since`` (the start of a week) leaves older, already thinned weeks out of
    the scan and looks only at runs started in the window; ``client_ids``
    bounds the client ids (lowest, highest + 1).
    """
    old = ScoreSnapshot.objects.filter(scored_at__lt=cutoff)
    if since is not None:
        # Reach the rows through their runs: the (client, run) index then finds
        # them without reading the client's whole history from the table.
        runs = ScoringRun.objects.filter(
            started_at__gte=since - RUN_MARGIN, started_at__lt=cutoff + RUN_MARGIN
        )
        old = old.filter(scored_at__gte=since, run__in=runs.values("pk"))
    if client_ids is not None:
        old = old.filter(client_id__gte=client_ids[0], client_id__lt=client_ids[1])
    return (
        old.annotate(
            rank_in_week=Window(
                RowNumber(),
                partition_by=[F("client_id"), TruncWeek("scored_at")],
                order_by=[F("scored_at").desc(), F("id").desc()],
            )
        )
        .filter(rank_in_week__gt=1, previous_tier=F("risk_tier"))
        .order_by()
    )


def snapshots_prune(
    *,
    keep_days: int | None = None,
    now: dt.datetime | None = None,
    batch_clients: int = DEFAULT_BATCH_CLIENTS,
    dry_run: bool = False,
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PruneResult:
    """Delete superseded, unreferenced snapshots, ``batch_clients`` ids at a time.

    Each batch (its selection, read once, and its DELETE) is its own short
    transaction, so a pass can be stopped and resumed, and never holds many
    locks. ``keep_days`` 0 keeps everything.
    A pass looks back ``SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS`` before the cutoff
    (from the start of that week), as older weeks were thinned by earlier passes;
    ``full`` scans all history (after retention was off, or passes were missed).
    ``progress(done_batches, total_batches)`` is called after each batch.
    """
    keep_days = settings.SCORING_SNAPSHOT_KEEP_DAYS if keep_days is None else keep_days
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    if keep_days <= 0:
        return PruneResult(cutoff=cutoff, deleted=0, batches=0)
    lookback = dt.timedelta(days=settings.SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS)
    since = None if full else week_start(cutoff - lookback)
    bounds = Client.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return PruneResult(cutoff=cutoff, deleted=0, batches=0)
    starts = range(bounds["low"], bounds["high"] + 1, batch_clients)
    referenced = _referenced_snapshot_ids()
    deleted = 0
    for done, start in enumerate(starts, start=1):
        superseded = snapshots_superseded(
            cutoff=cutoff, since=since, client_ids=(start, start + batch_clients)
        )
        with transaction.atomic(), connection.cursor() as cursor:
            _jit_off(cursor)
            ids = superseded.values_list("pk", flat=True)
            doomed = [pk for pk in ids if pk not in referenced]
            deleted += len(doomed) if dry_run else _delete(cursor, doomed)
        if progress is not None:
            progress(done, len(starts))
    return PruneResult(cutoff=cutoff, deleted=deleted, batches=len(starts))


def _relations_to_snapshots() -> list[ForeignObjectRel]:
    """Every foreign key to snapshots, hidden ones (``related_name="+"``) too.

    Read from the models, so a model that points at snapshots later is
    respected without being listed here.
    """
    return [
        field
        for field in ScoreSnapshot._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and field.is_relation
    ]


def _referenced_snapshot_ids() -> set[int]:
    """Return every snapshot id some row refers to (emails, assignments, scores).

    Read once per pass: one scan per relation, where asking per batch meant a
    scan of the unindexed current-score references each time. A reference made
    during the pass points at a new snapshot, never at a superseded one.
    """
    referenced: set[int] = set()
    for relation in _relations_to_snapshots():
        column = relation.field.attname
        referenced.update(
            relation.related_model._base_manager.filter(
                **{f"{column}__isnull": False}
            ).values_list(column, flat=True)
        )
    return referenced


def week_start(moment: dt.datetime) -> dt.datetime:
    """Return midnight on the Monday of ``moment``'s week, in the current zone."""
    day = timezone.localdate(moment)
    monday = day - dt.timedelta(days=day.weekday())
    return timezone.make_aware(dt.datetime.combine(monday, dt.time.min))


def _jit_off(cursor) -> None:
    """Plan this transaction's statements without PostgreSQL's JIT compiler.

    A batch's selection is estimated costly enough to JIT-compile, and
    compiling took ~1 s per statement at 1M clients (EXPLAIN ANALYZE) for
    queries that run in a few hundred milliseconds; a million-row pass runs
    twenty such batches.
    """
    if connection.vendor == "postgresql":
        cursor.execute(sql.JIT_OFF_SQL)


def _delete(cursor, ids: list[int]) -> int:
    """Delete the snapshots ``ids`` (the batch's selection, read once).

    By the ids just read in the same transaction, not by running the window
    selection again inside the DELETE: a row that is superseded stays so (new
    runs only add later rows) and none of these is referenced. Not
    ``QuerySet.delete()``: with SET_NULL relations pointing at snapshots the
    collector loads every row as a model instance first, and these rows are
    referenced by nothing.
    """
    if not ids:
        return 0
    if connection.vendor == "postgresql":
        # One array literal: psycopg quotes a Python list element by element
        # (~10 s of the pass's CPU for two million ids at load 13, cProfile).
        array = "{" + ",".join(map(str, ids)) + "}"
        cursor.execute(sql.snapshots_delete_any_sql(), [array])
        return cursor.rowcount
    deleted = 0
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        cursor.execute(sql.snapshots_delete_in_sql(len(chunk)), chunk)
        deleted += cursor.rowcount
    return deleted
