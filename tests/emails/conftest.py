"""Fixtures for the emails tests: snapshots, a fake model server, a real worker."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from unittest import mock

import pytest
import redis
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Client, RiskTier
from emails.drafting.llm_client import llm_clients_clear
from emails.models import EmailStatus, ReengagementEmail
from emails.services.transitions import email_transition
from emails.tasks import send_email_task
from scoring.models import ClientScore, ScoreSnapshot, ScoringRun
from tests.customers.factories import ClientFactory
from tests.emails.factories import ReengagementEmailFactory
from tests.scoring.factories import ScoreSnapshotFactory
from tests.support.celery_worker import celery_worker  # noqa: F401 - fixture
from tests.support.counting_proxy import counting_proxy  # noqa: F401 - fixture
from tests.support.fake_llm_server import FakeLlmServer
from tests.support.sns import sns  # noqa: F401 - fixture
from tests.support.waiting import wait_for

TEST_API_KEY = "sk-or-v1-test-key-not-real-0000"
REVIEW_CHANGELIST = "admin:emails_reengagementemail_changelist"
WORKER_TIMEOUT_SECONDS = 60


def snapshot_make(
    client: Client,
    *,
    risk_tier: str = RiskTier.AT_RISK,
    previous_tier: str = RiskTier.COOLING,
) -> ScoreSnapshot:
    """Save a snapshot (post_save fires) and make it the client's current score."""
    snapshot = ScoreSnapshotFactory(
        client=client,
        run__trigger=ScoringRun.Trigger.ORDER,
        previous_tier=previous_tier,
        risk_tier=risk_tier,
        expected_next_order_on=timezone.localdate() + dt.timedelta(days=30),
    )
    ClientScore.objects.update_or_create(
        client=client,
        defaults={
            "risk_tier": risk_tier,
            "engagement_score": 22,
            "churn_risk": 0.8,
            "p_alive": 0.2,
            "expected_orders": 0.3,
            "clv": Decimal("150.00"),
            "scored_at": snapshot.scored_at,
            "snapshot": snapshot,
        },
    )
    if hasattr(client, "_state"):
        client._state.fields_cache.pop("score", None)
    return snapshot


@pytest.fixture
def llm_server() -> Iterator[FakeLlmServer]:
    """Serve an OpenAI-compatible fake that reports OpenRouter's usage.cost."""
    with FakeLlmServer(cost=0.00042) as server:
        yield server
    llm_clients_clear()


@pytest.fixture
def llm_settings(settings, llm_server: FakeLlmServer) -> FakeLlmServer:
    """Point the project's LLM settings at the fake server."""
    settings.OPENROUTER_API_KEY = TEST_API_KEY
    settings.LLM_BASE_URL = llm_server.base_url
    settings.LLM_MAX_ATTEMPTS = 2
    return llm_server


@pytest.fixture
def broker(celery_broker: str) -> redis.Redis:
    """Return a client of the test Redis, with the Celery queues emptied."""
    client = redis.Redis.from_url(celery_broker)
    client.delete("llm", "default", "send")
    return client


@pytest.fixture(autouse=True)
def _no_holdout(settings) -> None:
    """Email every eligible client unless a test sets a holdout share itself."""
    settings.REENGAGEMENT_HOLDOUT_SHARE = 0.0


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Run tasks inline and propagate their errors, as with no broker configured."""
    from stitchengage.celery import app

    names = ("task_always_eager", "task_eager_propagates")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    try:
        yield
    finally:
        app.conf.update(saved)


@pytest.fixture
def llm_unreachable(settings) -> Iterator[str]:
    """Point the LLM settings, key set, at a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPENROUTER_API_KEY = TEST_API_KEY
    settings.LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.LLM_MAX_ATTEMPTS = 1
    yield settings.LLM_BASE_URL
    llm_clients_clear()


@pytest.fixture
def drafting_worker(celery_worker, settings) -> Iterator[FakeLlmServer]:  # noqa: F811
    """Start a real worker that drafts against a fake model; yield the model server.

    No holdout, in the test process and the worker: every at-risk client is
    drafted for. Use from a ``transaction=True`` test.
    """
    settings.REENGAGEMENT_HOLDOUT_SHARE = 0.0
    with FakeLlmServer(cost=0.0005) as server:
        celery_worker(
            env={
                "OPENROUTER_API_KEY": TEST_API_KEY,
                "LLM_BASE_URL": server.base_url,
                "REENGAGEMENT_HOLDOUT_SHARE": "0",
            }
        )
        yield server


def email_settled(snapshot: ScoreSnapshot) -> ReengagementEmail | None:
    """Wait for the worker to take the snapshot's email past drafting.

    Return the email as last seen (still queued or drafting if time ran out), or
    None if the worker never created it.
    """
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    email = None
    while time.monotonic() < deadline:
        email = ReengagementEmail.objects.filter(snapshot=snapshot).first()
        if email and email.status not in (EmailStatus.QUEUED, EmailStatus.DRAFTING):
            break
        time.sleep(0.2)
    return email


def approved_email_publish(
    *, client_email: str, first_name: str, publishes: int = 1
) -> ReengagementEmail:
    """Approve a drafted email and publish its send on commit, as review does.

    ``publishes=2`` publishes the send twice, as a double click or a
    redelivery would.
    """
    email = ReengagementEmailFactory(
        client=ClientFactory(email=client_email),
        status=EmailStatus.PENDING_REVIEW,
        subject="A few pieces picked for you",
        body=f"Hi {first_name},\n\nYour stylist set aside a denim jacket.",
    )
    with transaction.atomic():
        email_transition(email=email, to=EmailStatus.APPROVED)
        for _ in range(publishes):
            transaction.on_commit(partial(send_email_task.delay, email.pk))
    return email


def email_wait_for_status(email: ReengagementEmail, status: str, timeout: float):
    """Wait until another process moves ``email`` to ``status`` (refreshing it)."""

    def reached() -> bool:
        email.refresh_from_db()
        return email.status == status

    wait_for(reached, f"email {email.pk} to be {status}", timeout=timeout)


@pytest.fixture
def confirm():
    """Patch the one outbound call of a subscription confirmation."""
    with mock.patch(
        "emails.services.ses_events.sns_subscription_confirm_request"
    ) as patched:
        yield patched


def review_url(name: str, email: ReengagementEmail) -> str:
    """Return the URL of one of the review desk's views of ``email``."""
    return reverse(f"admin:emails_reengagementemail_{name}", args=[email.pk])
