"""POST /api/v1/orders: batches of order events (api.services.order_events)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from api.models import ApiToken
from api.services.tokens import tokens_revoke
from api.tasks import clients_rescore_enqueue_task
from customers.models import Client, Order
from scoring.tasks import rescore_client_task
from tests.api.conftest import event_make
from tests.customers.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert body["status"] == status
    return body


# -- authentication -------------------------------------------------------------


def test_missing_token_is_401(client):
    """No Authorization header: 401 problem details with WWW-Authenticate."""
    response = client.post(
        "/api/v1/orders",
        data={"orders": [event_make()]},
        content_type="application/json",
    )
    _problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(post_orders, token):
    """A token that was never issued (one character changed) is refused."""
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    _problem(post_orders([event_make()], raw_token=wrong), 401)
    assert not Order.objects.exists()


def test_revoked_token_is_401(post_orders, token):
    """A revoked token stops working at once."""
    tokens_revoke(token_ids=list(ApiToken.objects.values_list("pk", flat=True)))
    _problem(post_orders([event_make()]), 401)


def test_token_without_scope_is_403(post_orders, make_token):
    """A read-only token cannot post orders."""
    reader = make_token(scopes=["clients:read", "emails:read"])
    body = _problem(post_orders([event_make()], raw_token=reader), 403)
    assert "orders:write" in body["detail"]


def test_token_is_stored_hashed_and_use_stamped(post_orders, token):
    """Only the SHA-256 of the token is kept; a call stamps last_used_at."""
    stored = ApiToken.objects.get()
    assert token not in {stored.key_hash, stored.prefix, stored.scopes}
    assert token.startswith(f"se_{stored.prefix}_")
    assert stored.last_used_at is None
    assert post_orders([event_make()]).status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_rate_limit_is_429_with_retry_after(post_orders, settings):
    """Over the per-token limit in a minute: 429 with Retry-After, nothing applied."""
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert post_orders([event_make(1)]).status_code == 200
    assert post_orders([event_make(2)]).status_code == 200
    response = post_orders([event_make(3)])
    _problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Order.objects.count() == 2


def test_rate_limit_counts_per_token(post_orders, make_token, settings):
    """Another integration's token has its own allowance."""
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    assert post_orders([event_make(1)]).status_code == 200
    other = make_token(source="shop")
    assert post_orders([event_make(2)], raw_token=other).status_code == 200


# -- batches --------------------------------------------------------------------


def test_batch_of_500_is_applied(post_orders, django_assert_max_num_queries):
    """500 events for 250 clients in one request, in a fixed number of queries."""
    events = [event_make(n, client_n=n // 2) for n in range(500)]
    with django_assert_max_num_queries(20):
        response = post_orders(events)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == 500
    assert body["clients_created"] == 250
    assert Order.objects.count() == 500
    client = Client.objects.get(external_id="C-7")
    assert client.order_count == 2  # order facts refreshed
    assert client.last_order_at is not None


def test_batch_of_501_is_refused(post_orders):
    """501 events: 422 naming the 'orders' field; nothing applied."""
    body = _problem(post_orders([event_make(n) for n in range(501)]), 422)
    assert body["errors"][0]["field"] == "orders"
    assert not Order.objects.exists()


def test_resent_batch_changes_nothing(post_orders):
    """The same batch twice: the second creates and updates nothing."""
    events = [event_make(n) for n in range(5)]
    assert post_orders(events).json()["created"] == 5
    keys_before = list(Order.objects.order_by("pk").values_list("pk", "import_key"))
    body = post_orders(events).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 5)
    assert {r["outcome"] for r in body["results"]} == {"unchanged"}
    assert list(Order.objects.order_by("pk").values_list("pk", "import_key")) == (
        keys_before
    )
    assert keys_before[0][1] == "api:erp:SO-0"


def test_changed_event_updates_the_order(post_orders):
    """An event sent again with a new status and amount updates that order."""
    post_orders([event_make(1)])
    body = post_orders([event_make(1, status="returned", amount="0", items_kept=0)])
    assert body.json()["updated"] == 1
    order = Order.objects.get()
    assert (order.status, order.amount, order.items_kept) == ("returned", 0, 0)


def test_same_order_id_from_another_source_is_another_order(post_orders, make_token):
    """Idempotency is per source: two systems may both have an order 'SO-1'."""
    post_orders([event_make(1)])
    post_orders([event_make(1)], raw_token=make_token(source="shop"))
    assert Order.objects.count() == 2


def test_last_event_of_an_order_in_a_batch_wins(post_orders):
    """An order twice in a batch: the later event is applied, the earlier superseded."""
    body = post_orders([event_make(1), event_make(1, amount="99.50")]).json()
    assert [r["outcome"] for r in body["results"]] == ["superseded", "created"]
    assert Order.objects.get().amount == Decimal("99.50")


# -- clients --------------------------------------------------------------------


def test_new_client_is_created_by_external_id(post_orders):
    """An unknown external id creates the client with the event's fields."""
    post_orders([event_make(1, client__email=" Ada@Example.COM ")])
    client = Client.objects.get(external_id="C-1")
    assert client.email == "ada@example.com"
    assert (client.first_name, client.time_zone) == ("Ada", "America/Chicago")
    assert client.marketing_consent is True  # a new client's consent is recorded


def test_existing_client_is_updated_by_external_id(post_orders):
    """A known external id updates that client; no second client is made."""
    ClientFactory(external_id="C-1", email="old@example.com", first_name="Old")
    body = post_orders([event_make(1, client__first_name="New")]).json()
    assert (body["clients_created"], body["clients_updated"]) == (0, 1)
    client = Client.objects.get(external_id="C-1")
    assert (client.first_name, client.email) == ("New", "client-1@example.com")
    assert Client.objects.count() == 1


def test_consent_is_not_regranted_for_an_unsubscribed_client(post_orders):
    """Consent true for a client who unsubscribed is ignored, with a warning."""
    ClientFactory(
        external_id="C-1", marketing_consent=False, unsubscribed_at=timezone.now()
    )
    response = post_orders([event_make(1, client__marketing_consent=True)])
    assert response.status_code == 200
    warning = response.json()["warnings"][0]
    assert (warning["index"], warning["field"]) == (0, "client.marketing_consent")
    assert "unsubscribed" in warning["message"]
    assert Client.objects.get(external_id="C-1").marketing_consent is False
    assert Order.objects.count() == 1  # the order itself is recorded


def test_consent_can_be_withdrawn(post_orders):
    """Consent false for a consenting client withdraws it."""
    ClientFactory(external_id="C-1", marketing_consent=True)
    post_orders([event_make(1, client__marketing_consent=False)])
    assert Client.objects.get(external_id="C-1").marketing_consent is False


def test_email_of_another_client_is_refused(post_orders):
    """A new client cannot take an e-mail another client has (any case)."""
    ClientFactory(external_id="X", email="taken@example.com")
    body = _problem(
        post_orders([event_make(1, client__email="TAKEN@example.com")]), 422
    )
    assert body["errors"][0]["field"] == "client.email"


def test_new_client_needs_an_email(post_orders):
    """Creating a client needs its e-mail; the error names the field."""
    event = event_make(1)
    del event["client"]["email"]
    body = _problem(post_orders([event]), 422)
    assert body["errors"][0]["field"] == "client.email"


# -- validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ordered_at": "1980-01-01T12:00:00+00:00"}, "ordered_at"),
        ({"ordered_at": "2999-01-01T12:00:00+00:00"}, "ordered_at"),
        ({"ordered_at": "2024-01-01T12:00:00"}, "ordered_at"),  # no offset
        ({"shipped_at": "1995-01-01T12:00:00+00:00"}, "shipped_at"),
        ({"items_sent": 2, "items_kept": 3}, "items_kept"),
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "1,000.00"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": True}, "amount"),
        ({"rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": "4"}, "rating"),
        ({"status": "lost"}, "status"),
        ({"items_sent": "five"}, "items_sent"),
        ({"source_order_id": ""}, "source_order_id"),
        ({"ammount": "1.00"}, "ammount"),  # unknown field
        ({"client__time_zone": "Mars/Olympus"}, "client.time_zone"),
        ({"client__email": "not-an-email"}, "client.email"),
        ({"client__signup_date": "1900-01-01"}, "client.signup_date"),
        ({"client__marketing_consent": "yes"}, "client.marketing_consent"),
    ],
)
def test_each_invalid_field_is_named_with_its_event(post_orders, changes, field):
    """A bad event: 422, the error names its index, source order id and field."""
    events = [event_make(0), event_make(1, **changes)]
    body = _problem(post_orders(events), 422)
    assert body["type"].endswith("/invalid-request")
    errors = [(e["index"], e["source_order_id"], e["field"]) for e in body["errors"]]
    assert (1, events[1]["source_order_id"] or None, field) in errors, body
    assert not Order.objects.exists()  # all or nothing
    assert not Client.objects.exists()


def test_partial_applies_the_valid_events_and_reports_the_rest(post_orders):
    """?partial=true: the good events are applied, the bad one reported (200)."""
    events = [event_make(0), event_make(1, rating=9), "not an event", event_make(3)]
    response = post_orders(events, query="?partial=true")
    assert response.status_code == 200
    body = response.json()
    assert [r["outcome"] for r in body["results"]] == [
        "created",
        "rejected",
        "rejected",
        "created",
    ]
    assert {(e["index"], e["field"]) for e in body["errors"]} == {
        (1, "rating"),
        (2, "(event)"),
    }
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"orders": [', "application/json", 400),
        (b"[1, 2]", "application/json", 422),
        (b'{"orders": "all"}', "application/json", 422),
        (b'{"orders": []}', "application/json", 422),
        (b'{"orders": [], "extra": 1}', "application/json", 422),
        (b"\xff\xfe", "application/json", 400),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
        (b"orders=1", "application/x-www-form-urlencoded", 415),
        (b"x" * 10_000_000, "application/json", 413),
        (b'{"orders": [null, 1, [], {}]}', "application/json", 422),
    ],
)
def test_malformed_bodies_get_a_4xx_problem(client, token, body, content_type, status):
    """No body, however broken or large, gets a 500."""
    response = client.post(
        "/api/v1/orders",
        data=body,
        content_type=content_type,
        headers={"authorization": f"Bearer {token}"},
    )
    _problem(response, status)


# -- rescoring ------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch) -> list[int]:
    """Client ids rescored: the fan-out runs at once, rescore_client is recorded."""
    rescored: list[int] = []
    monkeypatch.setattr(rescore_client_task, "delay", rescored.append)
    monkeypatch.setattr(
        clients_rescore_enqueue_task,
        "delay",
        lambda client_ids: clients_rescore_enqueue_task(client_ids),
    )
    return rescored


def test_rescore_enqueued_once_per_client_on_commit(
    post_orders, published, django_capture_on_commit_callbacks
):
    """Six orders of three clients: three rescore tasks, published after commit."""
    events = [event_make(n, client_n=n % 3) for n in range(6)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert post_orders(events).status_code == 200
    assert published == []  # nothing inside the request's transaction
    assert len(callbacks) == 1  # one message for the batch
    callbacks[0]()
    assert sorted(published) == sorted(Client.objects.values_list("pk", flat=True))
    assert len(published) == 3


def test_unchanged_batch_enqueues_no_rescore(
    post_orders, published, django_capture_on_commit_callbacks
):
    """A re-sent batch changed nothing, so nothing is rescored."""
    event = event_make(1)
    post_orders([event])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_orders([event])
    assert callbacks == []
    assert published == []


def test_order_moved_to_another_client_rescores_both(
    post_orders, published, django_capture_on_commit_callbacks
):
    """An order re-sent for another client refreshes and rescores both clients."""
    post_orders([event_make(1)])
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_orders([event_make(1, client_n=2)])
    old = Client.objects.get(external_id="C-1")
    new = Client.objects.get(external_id="C-2")
    assert sorted(published) == sorted([old.pk, new.pk])
    assert (old.order_count, new.order_count) == (0, 1)
