"""Who gets a draft: consent, unsubscribes, suppressions, frequency cap, holdout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from emails.models import (
    EmailStatus,
    ReengagementEmail,
    RetentionAssignment,
    Suppression,
)
from emails.services import eligibility
from emails.services.drafting import (
    HOLDOUT,
    QUEUED,
    SKIPPED,
    draft_request_evaluate,
)
from emails.services.holdout import holdout_draw, holdout_group
from tests.customers.factories import ClientFactory
from tests.emails.conftest import snapshot_make
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db


def test_eligible_client_gets_a_queued_email():
    """An at-risk client with consent and no history is queued for a draft."""
    snapshot = snapshot_make(ClientFactory())
    request = draft_request_evaluate(snapshot_id=snapshot.pk)
    assert request.outcome == QUEUED
    assert request.email.status == EmailStatus.QUEUED
    assert request.email.idempotency_key == f"snapshot:{snapshot.pk}"


def test_no_marketing_consent_means_no_draft():
    """Without marketing consent nobody is emailed."""
    snapshot = snapshot_make(ClientFactory(marketing_consent=False))
    request = draft_request_evaluate(snapshot_id=snapshot.pk)
    assert (request.outcome, request.reason) == (SKIPPED, eligibility.NO_CONSENT)
    assert not ReengagementEmail.objects.exists()


def test_unsubscribed_client_gets_no_draft():
    """An unsubscribe wins over a consent flag left on."""
    snapshot = snapshot_make(ClientFactory(unsubscribed_at=timezone.now()))
    request = draft_request_evaluate(snapshot_id=snapshot.pk)
    assert request.reason == eligibility.UNSUBSCRIBED
    assert not ReengagementEmail.objects.exists()


def test_suppressed_address_gets_no_draft_whatever_its_case():
    """Suppressions match the address case-insensitively."""
    client = ClientFactory(email="ana.lopez@example.com")
    Suppression.objects.create(
        email="Ana.Lopez@Example.COM", reason=Suppression.Reason.HARD_BOUNCE
    )
    request = draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
    assert request.reason == eligibility.SUPPRESSED
    assert not ReengagementEmail.objects.exists()


def test_frequency_cap_blocks_a_client_emailed_recently(settings):
    """A client sent an email within the cap is skipped; one sent before is not."""
    settings.REENGAGEMENT_FREQUENCY_CAP_DAYS = 30
    client = ClientFactory()
    sent = ReengagementEmailFactory(
        client=client,
        status=EmailStatus.SENT,
        sent_at=timezone.now() - dt.timedelta(days=29),
    )
    request = draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
    assert request.reason == eligibility.FREQUENCY_CAP
    sent.sent_at = timezone.now() - dt.timedelta(days=31)
    sent.save()
    assert draft_request_evaluate(snapshot_id=snapshot_make(client).pk).outcome == (
        QUEUED
    )


def test_open_email_blocks_a_second_draft():
    """A client with an email in flight gets no second one from a new snapshot."""
    client = ClientFactory()
    first = draft_request_evaluate(snapshot_id=snapshot_make(client).pk).email
    request = draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
    assert request.reason == eligibility.OPEN_EMAIL
    assert list(ReengagementEmail.objects.all()) == [first]


def test_same_snapshot_twice_makes_one_email():
    """Requesting a draft for the same snapshot again returns the same row."""
    snapshot = snapshot_make(ClientFactory())
    first = draft_request_evaluate(snapshot_id=snapshot.pk).email
    second = draft_request_evaluate(snapshot_id=snapshot.pk).email
    assert first == second
    assert ReengagementEmail.objects.count() == 1
    assert RetentionAssignment.objects.count() == 1


def test_snapshot_not_at_risk_gets_no_draft():
    """Only at-risk snapshots are drafted for."""
    snapshot = snapshot_make(ClientFactory(), risk_tier="cooling")
    assert draft_request_evaluate(snapshot_id=snapshot.pk).email is None


def test_holdout_assignment_is_reproducible_and_near_the_share():
    """The same client always lands in the same group; ~10% of 2,000 are held out."""
    ids = range(1, 2001)
    groups = [
        holdout_group(experiment="reengagement-v1", client_id=i, share=0.10)
        for i in ids
    ]
    again = [
        holdout_group(experiment="reengagement-v1", client_id=i, share=0.10)
        for i in ids
    ]
    assert groups == again
    share = groups.count(RetentionAssignment.Group.HOLDOUT) / len(groups)
    assert 0.08 <= share <= 0.12
    draws = [holdout_draw(experiment="other", client_id=i) for i in ids]
    assert all(0 <= d < 1 for d in draws)
    other = [d < 0.10 for d in draws]
    assert other != [g == RetentionAssignment.Group.HOLDOUT for g in groups]


def test_holdout_client_is_recorded_and_never_emailed(settings):
    """A held-out client gets an assignment row and no email, every time."""
    settings.REENGAGEMENT_HOLDOUT_SHARE = 1.0
    snapshot = snapshot_make(ClientFactory())
    assert draft_request_evaluate(snapshot_id=snapshot.pk).outcome == HOLDOUT
    assert draft_request_evaluate(snapshot_id=snapshot.pk).outcome == HOLDOUT
    (assignment,) = RetentionAssignment.objects.all()
    assert assignment.group == RetentionAssignment.Group.HOLDOUT
    assert assignment.snapshot == snapshot
    assert assignment.holdout_share == 1.0
    assert assignment.experiment == settings.REENGAGEMENT_EXPERIMENT
    assert not ReengagementEmail.objects.exists()


def test_treatment_client_is_recorded_too():
    """Emailed clients are recorded as the treatment group for the comparison."""
    snapshot = snapshot_make(ClientFactory())
    draft_request_evaluate(snapshot_id=snapshot.pk)
    (assignment,) = RetentionAssignment.objects.all()
    assert assignment.group == RetentionAssignment.Group.TREATMENT


def test_losing_a_race_reports_what_won(monkeypatch):
    """Another delivery writing between our read and our insert is not an error.

    The facts are read, then a concurrent delivery of the same snapshot queues
    its email: our insert hits the unique key, rolls back (assignment included)
    and the call reports the winner's email as existing.
    """
    from emails.services import drafting
    from emails.services.drafting import EXISTING

    snapshot = snapshot_make(ClientFactory())
    read = drafting.drafting_facts
    calls = []

    def read_then_lose(**kwargs):
        facts = read(**kwargs)
        if not calls:
            winner = ReengagementEmailFactory(
                client=snapshot.client,
                snapshot=snapshot,
                idempotency_key=kwargs["idempotency_key"],
            )
            calls.append(winner)
        return facts

    monkeypatch.setattr(drafting, "drafting_facts", read_then_lose)
    request = draft_request_evaluate(snapshot_id=snapshot.pk, claim=True)
    assert request.outcome == EXISTING
    assert request.email == calls[0]
    assert ReengagementEmail.objects.count() == 1
    assert not RetentionAssignment.objects.exists()


def test_losing_the_open_email_race_to_another_snapshot_skips():
    """Two snapshots of one client racing: the loser's insert is refused, it skips."""
    from unittest import mock

    from emails.services import drafting

    client = ClientFactory()
    mine, theirs = snapshot_make(client), snapshot_make(client)
    read = drafting.drafting_facts
    stale = read(snapshot_id=mine.pk, idempotency_key=f"snapshot:{mine.pk}")
    draft_request_evaluate(snapshot_id=theirs.pk)  # wins meanwhile
    with mock.patch.object(
        drafting,
        "drafting_facts",
        side_effect=[
            stale,
            read(snapshot_id=mine.pk, idempotency_key=f"snapshot:{mine.pk}"),
        ],
    ):
        request = draft_request_evaluate(snapshot_id=mine.pk)
    assert (request.outcome, request.reason) == (SKIPPED, eligibility.OPEN_EMAIL)
    assert ReengagementEmail.objects.get().snapshot == theirs
