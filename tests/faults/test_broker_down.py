"""The broker is down when committed work publishes its task: nothing is lost.

The real Redis server is stopped while an order is saved in the admin, clients
turn at risk and a reviewer sends a stuck email again. Every commit stands and
no page fails; once Redis is back the lost-work sweep, on a real worker, queues
the rescore and exactly one draft per at-risk client, however often it runs.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Client, Order, RiskTier
from emails.models import EmailStatus, ReengagementEmail
from emails.services.stuck_sends import stuck_send_retry
from emails.tasks import lost_work_sweep_task
from scoring.models import ClientScore, ScoreSnapshot
from scoring.services.rescoring import clients_rescore
from tests.emails.conftest import snapshot_make
from tests.emails.factories import ReengagementEmailFactory
from tests.scoring.book import book_create
from tests.support.waiting import wait_for

WORKER_ENV = {"SWEEP_GRACE_SECONDS": "0", "REENGAGEMENT_HOLDOUT_SHARE": "0"}


def _drafts_per_client() -> Counter[int]:
    return Counter(ReengagementEmail.objects.values_list("client_id", flat=True))


def _at_risk_ids() -> set[int]:
    return set(
        ClientScore.objects.filter(risk_tier=RiskTier.AT_RISK).values_list(
            "client_id", flat=True
        )
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_down_at_commit_loses_nothing(client, redis_proc, celery_worker):
    """Commits succeed with Redis stopped; the sweep then drafts each client once."""
    book = book_create(clients=40)
    clients_rescore()  # its drafts are published, then dropped with the queues
    reviewer = get_user_model().objects.create_superuser(
        "reviewer", "reviewer@example.com", "pw"
    )
    client.force_login(reviewer)
    not_at_risk = [c for c in book if c.pk not in _at_risk_ids()]
    ordering, turning = not_at_risk[0], not_at_risk[1:4]
    stuck = ReengagementEmailFactory(
        client=Client.objects.create(
            first_name="Kim", email="kim@example.com", marketing_consent=True
        ),
        status=EmailStatus.SENDING,
        subject="A few pieces",
        body="Hi Kim,\n\nYour stylist set aside a denim jacket.",
    )
    redis_proc.stop()
    try:
        time.sleep(1.0)  # the form has whole seconds: after the full run's
        ordered_at = timezone.localtime()
        response = client.post(
            reverse("admin:customers_order_add"),
            {
                "client": str(ordering.pk),
                "ordered_at_0": ordered_at.strftime("%Y-%m-%d"),
                "ordered_at_1": ordered_at.strftime("%H:%M:%S"),
                "status": "kept",
                "items_sent": "5",
                "items_kept": "3",
                "amount": "140.00",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        for at_risk in turning:
            with transaction.atomic():
                snapshot_make(at_risk)
        stuck_send_retry(email=stuck, actor=reviewer)
    finally:
        redis_proc.start()

    assert Order.objects.filter(client=ordering).count() > 1
    stuck.refresh_from_db()
    # Approved, and unstamped: the dispatcher sends it on its next run.
    assert (stuck.status, stuck.dispatched_at) == (EmailStatus.APPROVED, None)
    assert not ReengagementEmail.objects.filter(client__in=turning).exists()
    snapshots_before = ScoreSnapshot.objects.filter(client=ordering).count()

    celery_worker(env=WORKER_ENV, concurrency=4)
    lost_work_sweep_task.delay()
    wait_for(
        lambda: (
            ScoreSnapshot.objects.filter(client=ordering).count() > snapshots_before
        ),
        "the sweep's rescore of the client who ordered",
    )
    expected = _at_risk_ids()
    assert {c.pk for c in turning} <= expected

    def drafted() -> bool:
        ready = ReengagementEmail.objects.filter(
            client__in=expected, status=EmailStatus.PENDING_REVIEW
        )
        return ready.values("client").distinct().count() == len(expected)

    wait_for(drafted, "a draft for every at-risk client")
    lost_work_sweep_task.delay()  # again: nothing new may come of it
    lost_work_sweep_task.delay()
    wait_for(
        lambda: (
            not ReengagementEmail.objects.filter(
                status__in=[EmailStatus.QUEUED, EmailStatus.DRAFTING]
            ).exists()
        ),
        "the second sweep's work to settle",
    )
    time.sleep(2.0)
    per_client = _drafts_per_client()
    assert {pk for pk, n in per_client.items() if n > 1} == set()
    assert set(per_client) - {stuck.client_id} == expected
    latest = ScoreSnapshot.objects.filter(client=ordering).order_by("-pk").first()
    assert latest.days_since_last_order == 0
