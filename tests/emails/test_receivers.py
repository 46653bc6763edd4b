"""Snapshots moving into at-risk enqueue a draft, only once the write commits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from emails import tasks
from emails.models import EmailStatus, ReengagementEmail
from emails.services.drafting import QUEUED_STRANDED_SECONDS
from scoring.models import ScoringRun
from scoring.signals import clients_moved_into_at_risk
from tests.customers.factories import ClientFactory
from tests.emails.conftest import snapshot_make
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db


def _queued_snapshot_ids(broker) -> list[str]:
    """Return the argsrepr of each task waiting on the llm queue, oldest first."""
    raws = broker.lrange("llm", 0, -1)
    return [json.loads(raw)["headers"]["argsrepr"] for raw in reversed(raws)]


def test_snapshot_moving_into_at_risk_enqueues_on_commit(
    django_capture_on_commit_callbacks, broker
):
    """Saving a snapshot that moves a client into at-risk enqueues one task."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        snapshot = snapshot_make(ClientFactory())
    assert len(callbacks) == 1
    assert _queued_snapshot_ids(broker) == [f"({snapshot.pk},)"]


def test_snapshot_already_at_risk_enqueues_nothing(
    django_capture_on_commit_callbacks,
):
    """A client who stays at risk is not drafted for again by the receiver."""
    with django_capture_on_commit_callbacks() as callbacks:
        snapshot_make(ClientFactory(), previous_tier="at_risk")
    assert callbacks == []


def test_rolled_back_snapshot_enqueues_nothing(
    django_capture_on_commit_callbacks, broker
):
    """A transaction that saves an at-risk snapshot and rolls back sends no task."""
    client = ClientFactory()

    def save_then_fail() -> None:
        with transaction.atomic():
            snapshot_make(client)
            raise RuntimeError("rolled back")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        save_then_fail()
    assert callbacks == []
    assert broker.llen("llm") == 0


def test_bulk_announcement_enqueues_one_task_per_snapshot(broker):
    """The bulk rescoring signal enqueues a task per snapshot id it carries."""
    clients_moved_into_at_risk.send(sender=ScoringRun, snapshot_ids=[11, 12, 13])
    assert _queued_snapshot_ids(broker) == ["(11,)", "(12,)", "(13,)"]


def test_generate_drafts_command_queues_eligible_at_risk_clients(broker):
    """The command applies eligibility to each at-risk client and enqueues drafts."""
    eligible = snapshot_make(ClientFactory())
    snapshot_make(ClientFactory(marketing_consent=False))
    out = _call("generate_drafts")
    assert "2 at risk: 1 eligible" in out
    assert "skipped (no marketing consent): 1" in out
    assert _queued_snapshot_ids(broker) == [f"({eligible.pk},)"]
    assert ReengagementEmail.objects.get().snapshot == eligible


def test_generate_drafts_dry_run_writes_nothing(broker):
    """A dry run reports the same decisions but leaves no rows and no tasks."""
    snapshot_make(ClientFactory())
    out = _call("generate_drafts", "--dry-run")
    assert "1 would be enqueued" in out
    assert not ReengagementEmail.objects.exists()
    assert broker.llen("llm") == 0


def test_generate_drafts_enqueues_abandoned_drafts_again(broker, settings):
    """A draft stuck in drafting past its lease is enqueued; a fresh one is not."""
    from datetime import timedelta

    from django.utils import timezone

    from emails.services.drafting import draft_request_evaluate

    settings.DRAFTING_LEASE_SECONDS = 600
    stuck = snapshot_make(ClientFactory())
    busy = snapshot_make(ClientFactory())
    for snapshot in (stuck, busy):
        draft_request_evaluate(snapshot_id=snapshot.pk, claim=True)
    ReengagementEmail.objects.filter(snapshot=stuck).update(
        updated_at=timezone.now() - timedelta(seconds=601)
    )
    out = _call("generate_drafts")
    assert "2 with an email already; 1 enqueued" in out
    assert _queued_snapshot_ids(broker) == [f"({stuck.pk},)"]


@pytest.fixture
def publish_refused(monkeypatch) -> list[tuple]:
    """Make publishing the first-draft task fail as with the broker stopped."""
    attempts: list[tuple] = []

    def refuse(args=None, kwargs=None, **options):
        attempts.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Refused.")

    monkeypatch.setattr(tasks.generate_draft_task, "apply_async", refuse)
    return attempts


def test_unreachable_broker_does_not_fail_the_saving_request(
    django_capture_on_commit_callbacks, publish_refused, caplog
):
    """The on-commit publish logs its failure; generate_drafts drafts it later."""
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = snapshot_make(ClientFactory())
    assert publish_refused == [(snapshot.pk,)]
    assert "left for the sweep: OperationalError" in caplog.text
    clients_moved_into_at_risk.send(sender=ScoringRun, snapshot_ids=[11, 12, 13])
    assert publish_refused[1:] == [(11,)]  # the rest would fail the same way


def _regenerated(*, status: str, age_seconds: float) -> ReengagementEmail:
    old = ReengagementEmailFactory()
    ReengagementEmail.objects.filter(pk=old.pk).update(status=EmailStatus.REJECTED)
    new = ReengagementEmailFactory(
        client=old.client,
        regenerated_from=old,
        idempotency_key=f"regenerate:{old.pk}",
        status=status,
    )
    ReengagementEmail.objects.filter(pk=new.pk).update(
        updated_at=timezone.now() - dt.timedelta(seconds=age_seconds)
    )
    return new


def test_generate_drafts_enqueues_stranded_regenerated_drafts_again(broker, settings):
    """Regenerated drafts whose task was lost are enqueued; fresh ones are not."""
    settings.DRAFTING_LEASE_SECONDS = 600
    lost = _regenerated(status="queued", age_seconds=QUEUED_STRANDED_SECONDS + 1)
    _regenerated(status="queued", age_seconds=60)  # its task is on the way
    abandoned = _regenerated(status="drafting", age_seconds=601)
    _regenerated(status="drafting", age_seconds=60)
    assert "2 would be enqueued again" in _call("generate_drafts", "--dry-run")
    assert broker.llen("llm") == 0
    out = _call("generate_drafts")
    assert "Regenerated drafts left waiting: 2 enqueued again." in out
    assert _queued_snapshot_ids(broker) == [f"({lost.pk},)", f"({abandoned.pk},)"]


def _call(*args) -> str:
    from io import StringIO

    stdout = StringIO()
    call_command(*args, stdout=stdout)
    return stdout.getvalue()
