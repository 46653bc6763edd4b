"""End to end: a saved snapshot reaches a real worker, which drafts via the model."""

from __future__ import annotations

import time

import pytest

from emails.models import EmailStatus, ReengagementEmail
from tests.customers.factories import ClientFactory, StylistFactory
from tests.emails.conftest import TEST_API_KEY, snapshot_make
from tests.support.fake_llm_server import FakeLlmServer

TIMEOUT_SECONDS = 60


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_snapshot_into_at_risk_is_drafted_by_a_real_worker(celery_worker, settings):
    """on_commit publishes to Redis; a worker drafts against the model server."""
    settings.REENGAGEMENT_HOLDOUT_SHARE = 0.0
    with FakeLlmServer(cost=0.0005) as server:
        celery_worker(
            env={
                "OPENROUTER_API_KEY": TEST_API_KEY,
                "LLM_BASE_URL": server.base_url,
                "REENGAGEMENT_HOLDOUT_SHARE": "0",
            }
        )
        client = ClientFactory(
            first_name="Ana", stylist=StylistFactory(first_name="Maya")
        )
        snapshot = snapshot_make(client)  # autocommit: on_commit runs at once
        deadline = time.monotonic() + TIMEOUT_SECONDS
        email = None
        while time.monotonic() < deadline:
            email = ReengagementEmail.objects.filter(snapshot=snapshot).first()
            if email and email.status not in (
                EmailStatus.QUEUED,
                EmailStatus.DRAFTING,
            ):
                break
            time.sleep(0.2)
        assert email is not None, "the worker never created the email"
        assert email.status == EmailStatus.PENDING_REVIEW, email.error
        assert email.provider == "openrouter"
        assert len(server.requests) == 1
