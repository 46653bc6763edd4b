"""Thinning old snapshots: weekly before the retention window, nothing needed lost."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import RiskTier
from emails.models import RetentionAssignment
from scoring.models import ScoreSnapshot, ScoringRun
from scoring.services.snapshot_retention import snapshots_prune
from tests.customers.factories import (
    ClientFactory,
)
from tests.emails.factories import ReengagementEmailFactory
from tests.scoring.book import book_create
from tests.scoring.factories import ClientScoreFactory, ScoreSnapshotFactory

pytestmark = pytest.mark.django_db

COOLING, AT_RISK = RiskTier.COOLING, RiskTier.AT_RISK


def _monday_noon(weeks_ago: int) -> dt.datetime:
    """Noon local time on the Monday ``weeks_ago`` weeks back: far from week edges."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday(), weeks=weeks_ago)
    return timezone.make_aware(dt.datetime.combine(monday, dt.time(12)))


def _snap(client, at, previous=COOLING, tier=COOLING, run_started=None):
    """Save a snapshot scored ``at`` by a run started then (or ``run_started``)."""
    snapshot = ScoreSnapshotFactory(
        client=client, scored_at=at, previous_tier=previous, risk_tier=tier
    )
    ScoringRun.objects.filter(pk=snapshot.run_id).update(started_at=run_started or at)
    return snapshot


def _week(client, weeks_ago, days=(0, 1, 2), **kwargs) -> list[ScoreSnapshot]:
    start = _monday_noon(weeks_ago)
    return [_snap(client, start + dt.timedelta(days=d), **kwargs) for d in days]


def _left(client) -> set[int]:
    return set(ScoreSnapshot.objects.filter(client=client).values_list("pk", flat=True))


def test_old_weeks_keep_their_last_snapshot_and_recent_ones_keep_all():
    """Before the window one snapshot a week stays, the week's last; after, all."""
    client = ClientFactory()
    old = _week(client, weeks_ago=14)
    older = _week(client, weeks_ago=15, days=(3, 4))
    recent = _week(client, weeks_ago=2)
    result = snapshots_prune(keep_days=90)
    assert result.deleted == 3
    assert _left(client) == {old[-1].pk, older[-1].pk} | {s.pk for s in recent}


def test_tier_changes_and_referenced_snapshots_are_kept():
    """A move between tiers, and what emails, assignments and scores point at, stay."""
    client = ClientFactory()
    plain, change, emailed, assigned, current, last = (
        _snap(client, _monday_noon(14) + dt.timedelta(hours=h)) for h in range(6)
    )
    ScoreSnapshot.objects.filter(pk=change.pk).update(risk_tier=AT_RISK)
    ReengagementEmailFactory(client=client, snapshot=emailed, status="rejected")
    RetentionAssignment.objects.create(
        client=client, snapshot=assigned, group="holdout", holdout_share=0.1
    )
    ClientScoreFactory(client=client, snapshot=current, risk_tier=COOLING)
    assert snapshots_prune(keep_days=90).deleted == 1
    assert _left(client) == {s.pk for s in (change, emailed, assigned, current, last)}
    assert plain.pk not in _left(client)


def test_each_client_is_judged_on_its_own_weeks():
    """Two clients' snapshots in the same week do not crowd each other out."""
    first, second = ClientFactory(), ClientFactory()
    a = _week(first, weeks_ago=15, days=(0, 1))
    b = _week(second, weeks_ago=15, days=(2,))
    snapshots_prune(keep_days=90)
    assert _left(first) == {a[-1].pk}
    assert _left(second) == {b[0].pk}


@pytest.mark.parametrize("batch_clients", [1, 2, 1000])
def test_batches_and_dry_runs_agree(batch_clients):
    """Any batch size deletes the same rows; a dry run counts them and keeps them."""
    clients = [ClientFactory() for _ in range(5)]
    for client in clients:
        _week(client, weeks_ago=14)
        _week(client, weeks_ago=15, days=(0, 4))
    before = ScoreSnapshot.objects.count()
    dry = snapshots_prune(keep_days=90, batch_clients=batch_clients, dry_run=True)
    assert dry.deleted == 15
    assert ScoreSnapshot.objects.count() == before
    done = snapshots_prune(keep_days=90, batch_clients=batch_clients)
    assert done.deleted == 15
    assert ScoreSnapshot.objects.count() == before - 15
    assert snapshots_prune(keep_days=90, batch_clients=batch_clients).deleted == 0


def test_a_nightly_pass_looks_back_a_few_weeks_and_a_full_one_everywhere(settings):
    """Weeks before the lookback were thinned by earlier passes; --full catches up."""
    settings.SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS = 28
    client = ClientFactory()
    recent_old = _week(client, weeks_ago=15)  # within 90 + 28 days
    ancient = _week(client, weeks_ago=60)
    assert snapshots_prune(keep_days=90).deleted == 2
    assert {s.pk for s in ancient} <= _left(client)
    assert snapshots_prune(keep_days=90, full=True).deleted == 2
    assert _left(client) == {recent_old[-1].pk, ancient[-1].pk}


def test_backdated_runs_wait_for_a_full_pass():
    """History scored "as of" long before its run started is found by --full only."""
    client = ClientFactory()
    seeded = _week(client, weeks_ago=14, run_started=timezone.now())
    assert snapshots_prune(keep_days=90).deleted == 0
    assert snapshots_prune(keep_days=90, full=True).deleted == 2
    assert _left(client) == {seeded[-1].pk}


def test_keep_days_zero_keeps_everything():
    """Retention off: nothing is deleted, however old."""
    client = ClientFactory()
    _week(client, weeks_ago=100)
    assert snapshots_prune(keep_days=0).deleted == 0
    assert len(_left(client)) == 3


def test_command_reports_and_dry_run_deletes_nothing():
    """The command says what it did, or with --dry-run what it would do."""
    client = ClientFactory()
    _week(client, weeks_ago=14)
    out = StringIO()
    call_command("prune_snapshots", "--keep-days", "90", "--dry-run", stdout=out)
    assert "would delete 2 " in out.getvalue()
    assert len(_left(client)) == 3
    out = StringIO()
    call_command("prune_snapshots", "--keep-days", "90", stdout=out)
    assert "deleted 2 " in out.getvalue()
    assert len(_left(client)) == 1


def test_a_batch_selects_once_and_deletes_by_id():
    """Each batch runs the window selection once; its DELETE does not repeat it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients = [ClientFactory() for _ in range(3)]
    for client in clients:
        _week(client, weeks_ago=14)
    with CaptureQueriesContext(connection) as queries:
        result = snapshots_prune(keep_days=90, batch_clients=2)
    assert result.deleted == 6
    windows = [q["sql"] for q in queries if "ROW_NUMBER" in q["sql"].upper()]
    assert len(windows) == result.batches
    deletes = [q["sql"] for q in queries if q["sql"].lstrip().startswith("DELETE")]
    assert deletes
    assert not any("ROW_NUMBER" in sql.upper() for sql in deletes)


def test_nightly_job_scores_then_prunes(settings):
    """The Zappa nightly event (and beat task) scores the book, then thins history."""
    from stitchengage.zappa_events import nightly_rescore

    settings.SCORING_SNAPSHOT_KEEP_DAYS = 90
    clients = book_create(clients=30)
    old = _week(clients[0], weeks_ago=14)
    run_id = nightly_rescore({}, None)
    run = ScoringRun.objects.get(pk=run_id)
    assert run.trigger == ScoringRun.Trigger.NIGHTLY
    assert ScoreSnapshot.objects.filter(run=run).count() == 30
    assert set(ScoreSnapshot.objects.filter(pk__in=[s.pk for s in old])) == {old[-1]}
