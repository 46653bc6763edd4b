"""The churn model's reasons reach the LLM through the PII-minimal profile."""

from __future__ import annotations

import json
import re

import pytest

from emails.models import EmailStatus
from tests.customers.factories import ClientFactory, StylistFactory
from tests.emails.conftest import email_settled
from tests.scoring.factories import ScoreSnapshotFactory

REASONS = [
    "5 weeks overdue against a 4-week cadence",
    "kept nothing from the last 2 Fixes",
    "rating fell from 4.5 to 2",
]
_DATA_BLOCK = re.compile(r"<client_data>\s*(.*?)\s*</client_data>", re.DOTALL)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_reasons_reach_the_model_request_and_no_pii_does(drafting_worker):
    """A real worker drafts for an at-risk snapshot: the request the model
    server receives carries the snapshot's reasons, and not the client's last
    name, email, phone or city."""
    client = ClientFactory(
        first_name="Ana",
        last_name="Zabrowska",
        email="ana.zabrowska@example.com",
        phone="+1 312 555 0199",
        city="Evanston",
        stylist=StylistFactory(first_name="Maya"),
    )
    # Saved in autocommit: post_save queues the draft on commit at once.
    snapshot = ScoreSnapshotFactory(client=client, churn_reasons=REASONS)
    email = email_settled(snapshot)
    assert email is not None, "the worker never created the email"
    assert email.status == EmailStatus.PENDING_REVIEW, email.error
    (request,) = drafting_worker.requests
    user = request.message("user")
    data = json.loads(_DATA_BLOCK.search(user).group(1))
    assert data["why_at_risk"] == REASONS
    sent = request.message("system") + user
    for pii in ("Zabrowska", "ana.zabrowska", "example.com", "555", "Evanston"):
        assert pii not in sent, pii
