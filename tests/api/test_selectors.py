"""GET /api/v1/clients/{external_id} and /api/v1/emails (api.selectors)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from emails.models import EmailStatus, ReengagementEmail
from tests.customers.factories import ClientFactory, OrderFactory
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db


def _get(client, url: str, token: str):
    return client.get(url, headers={"authorization": f"Bearer {token}"})


def _email(c, n: int, status: str = EmailStatus.SENT, **fields) -> ReengagementEmail:
    return ReengagementEmailFactory(
        client=c, status=status, subject=f"Subject {n}", **fields
    )


def test_client_standing(client, token):
    """Tier, scores, last order and the latest email's status of one client."""
    c = ClientFactory(external_id="C-1", risk_tier="at_risk", order_count=2)
    OrderFactory(client=c, ordered_at=timezone.now() - dt.timedelta(days=90))
    last = OrderFactory(client=c, ordered_at=timezone.now() - dt.timedelta(days=9))
    _email(c, 1, EmailStatus.SENT)
    _email(c, 2, EmailStatus.PENDING_REVIEW)
    response = _get(client, "/api/v1/clients/C-1", token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tier"] == "at_risk"
    assert set(body["scores"]) == {
        "risk_tier", "engagement_score", "churn_risk", "p_alive", "clv", "scored_at"
    }  # fmt: skip
    assert body["scores"]["churn_risk"] == 0.3
    assert body["last_order"]["ordered_at"].startswith(
        last.ordered_at.date().isoformat()
    )
    assert body["latest_email"]["status"] == "pending_review"


def test_unscored_client_has_no_scores(client, token):
    c = ClientFactory(external_id="C-2")
    body = _get(client, f"/api/v1/clients/{c.external_id}", token).json()
    assert (body["tier"], body["scores"], body["last_order"]) == (
        "unscored",
        None,
        None,
    )
    assert body["latest_email"] is None


def test_unknown_client_is_404_problem(client, token):
    response = _get(client, "/api/v1/clients/nobody", token)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_client_read_needs_its_scope(client, make_token):
    ClientFactory(external_id="C-1")
    writer = make_token(scopes=["orders:write"])
    assert _get(client, "/api/v1/clients/C-1", writer).status_code == 403


def test_emails_filtered_by_status_and_paged(client, token):
    """Newest first, filtered by status, a cursor to the next page until the last."""
    clients = ClientFactory.create_batch(5)
    for n, c in enumerate(clients):
        _email(c, n, EmailStatus.SENT if n % 2 == 0 else EmailStatus.REJECTED)
    url = "/api/v1/emails?status=sent&limit=2"
    first = _get(client, url, token).json()
    assert [e["subject"] for e in first["items"]] == ["Subject 4", "Subject 2"]
    assert set(first["items"][0]) == {
        "id", "client_external_id", "status", "subject", "created_at", "sent_at"
    }  # fmt: skip
    second = _get(client, f"{url}&cursor={first['next_cursor']}", token).json()
    assert [e["subject"] for e in second["items"]] == ["Subject 0"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=lost", "status"), ("cursor=zzz", "cursor"), ("limit=0", "limit")],
)
def test_bad_email_query_is_422_naming_the_field(client, token, query, field):
    response = _get(client, f"/api/v1/emails?{query}", token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_emails_need_their_scope(client, make_token):
    reader = make_token(scopes=["clients:read"])
    assert _get(client, "/api/v1/emails", reader).status_code == 403
