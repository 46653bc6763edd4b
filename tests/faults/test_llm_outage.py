"""The model provider is down for minutes, then back: drafts wait and complete.

A live test may not wait 5 real minutes: the production schedule is asserted
from the settings, and the live run scales it down through the same settings
(``DRAFT_RETRY_BASE_SECONDS`` / ``DRAFT_RETRY_MAX_SECONDS``) against an outage
of a few seconds at the fake model server, on a real worker.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import transaction

from emails.models import EmailStatus, ReengagementEmail
from emails.services.drafting import DRAFT_RETRIES_EXHAUSTED, draft_retry_wait_range
from emails.tasks import GENERATE_DRAFT_MAX_RETRIES, lost_work_sweep_task
from tests.customers.factories import ClientFactory
from tests.emails.conftest import TEST_API_KEY, snapshot_make
from tests.support.fake_llm_server import FakeLlmServer
from tests.support.waiting import wait_for

OUTAGE_SECONDS = 2.0
# Scaled schedule: 0.125-0.25, 0.25-0.5, 0.5-1, 1-2, 1-2 s (2.9 to 5.75 s in all).
SCALED = {"DRAFT_RETRY_BASE_SECONDS": "0.25", "DRAFT_RETRY_MAX_SECONDS": "2"}


def _schedule(retries: int) -> tuple[float, float]:
    waits = [draft_retry_wait_range(retries=n) for n in range(retries)]
    return sum(w[0] for w in waits), sum(w[1] for w in waits)


def test_production_backoff_rides_out_five_minutes_and_is_bounded():
    """The default schedule waits at least 5 minutes in all, and at most ~16."""
    assert settings.DRAFT_RETRY_BASE_SECONDS == 30.0
    assert settings.DRAFT_RETRY_MAX_SECONDS == 900.0
    shortest, longest = _schedule(GENERATE_DRAFT_MAX_RETRIES)
    assert shortest >= 5 * 60, shortest
    assert longest <= 16 * 60, longest
    assert max(draft_retry_wait_range(retries=n)[1] for n in range(20)) == 900.0


def _worker_env(server: FakeLlmServer) -> dict[str, str]:
    return {
        **SCALED,
        "OPENROUTER_API_KEY": TEST_API_KEY,
        "LLM_BASE_URL": server.base_url,
        "LLM_MAX_ATTEMPTS": "1",  # only the task's retries, which are scaled
        "REENGAGEMENT_HOLDOUT_SHARE": "0",
        "SWEEP_GRACE_SECONDS": "0",
    }


def _turn_at_risk(n: int, prefix: str) -> list[int]:
    ids = []
    for i in range(n):
        client = ClientFactory(email=f"{prefix}{i}@example.com")
        with transaction.atomic():
            snapshot_make(client)
        ids.append(client.pk)
    return ids


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_outage_then_back_every_draft_completes_once(celery_worker, broker):
    """Six drafts meet a 2-second outage; each completes once, no model answer lost.

    The outage outlasts the first waits of the scaled schedule, so every draft
    is retried at least once; 12 s is less than the first wait of the old fixed
    schedule (15-30 s), which this cannot pass with.
    """
    with FakeLlmServer() as server:
        celery_worker(env=_worker_env(server), concurrency=6)
        server.outage(OUTAGE_SECONDS)
        clients = _turn_at_risk(6, "outage")
        emails = ReengagementEmail.objects.filter(client__in=clients)
        wait_for(
            lambda: emails.filter(status=EmailStatus.PENDING_REVIEW).count() == 6,
            "every draft after the outage",
            timeout=12.0,
        )
        time.sleep(0.5)
        statuses = server.statuses
    assert emails.count() == 6
    assert statuses.count(200) == 6  # one answered call per draft, none repeated
    assert statuses.count(503) >= 6  # each met the outage at least once


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_retries_run_out_then_the_sweep_drafts_them(celery_worker, broker):
    """An outage longer than every retry: drafts stay queued; the sweep ends them."""
    with FakeLlmServer() as server:
        celery_worker(env=_worker_env(server), concurrency=3)
        server.outage(60.0)
        clients = _turn_at_risk(3, "longer")
        emails = ReengagementEmail.objects.filter(client__in=clients)
        wait_for(
            lambda: (
                emails.filter(
                    status=EmailStatus.QUEUED, error__startswith=DRAFT_RETRIES_EXHAUSTED
                ).count()
                == 3
            ),
            "every retry to run out",
            timeout=20.0,
        )
        tries = len(server.statuses)
        assert tries == 3 * (GENERATE_DRAFT_MAX_RETRIES + 1)
        server.outage(0)  # the provider is back
        lost_work_sweep_task.delay()
        wait_for(
            lambda: emails.filter(status=EmailStatus.PENDING_REVIEW).count() == 3,
            "the sweep to draft them",
            timeout=15.0,
        )
        lost_work_sweep_task.delay()  # again: nothing left to do
        time.sleep(1.0)
        statuses = server.statuses
    assert emails.count() == 3
    assert statuses[tries:] == [200, 200, 200]
