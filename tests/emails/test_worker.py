"""End to end: a saved snapshot reaches a real worker, which drafts via the model."""

from __future__ import annotations

import pytest

from emails.models import EmailStatus
from tests.customers.factories import ClientFactory, StylistFactory
from tests.emails.conftest import email_settled, snapshot_make


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_snapshot_into_at_risk_is_drafted_by_a_real_worker(drafting_worker):
    """on_commit publishes to Redis; a worker drafts against the model server."""
    client = ClientFactory(first_name="Ana", stylist=StylistFactory(first_name="Maya"))
    snapshot = snapshot_make(client)  # autocommit: on_commit runs at once
    email = email_settled(snapshot)
    assert email is not None, "the worker never created the email"
    assert email.status == EmailStatus.PENDING_REVIEW, email.error
    assert email.provider == "openrouter"
    assert len(drafting_worker.requests) == 1
