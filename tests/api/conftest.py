"""Fixtures of the API tests: tokens and a valid order event."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from api.models import TokenScope
from api.services.tokens import token_create

ALL_SCOPES = [scope.value for scope in TokenScope]


@pytest.fixture
def make_token(db) -> Callable[..., str]:
    """Return a factory of tokens: ``make_token(scopes=[...], source=...)``."""

    def make(*, scopes: list[str] | None = None, source: str = "erp") -> str:
        _, raw = token_create(
            name=f"{source} integration",
            source=source,
            scopes=ALL_SCOPES if scopes is None else scopes,
        )
        return raw

    return make


@pytest.fixture
def token(make_token) -> str:
    return make_token()


def event_make(n: int = 1, *, client_n: int | None = None, **changes: Any) -> dict:
    """Return a valid order event ``n`` of client ``client_n`` (default: ``n``)."""
    c = n if client_n is None else client_n
    ordered = timezone.now() - dt.timedelta(days=30 + n % 300)
    event = {
        "source_order_id": f"SO-{n}",
        "client": {
            "external_id": f"C-{c}",
            "email": f"client-{c}@example.com",
            "first_name": "Ada",
            "last_name": f"Client{c}",
            "time_zone": "America/Chicago",
            "signup_date": (ordered.date() - dt.timedelta(days=100)).isoformat(),
            "marketing_consent": True,
        },
        "ordered_at": ordered.isoformat(),
        "shipped_at": (ordered + dt.timedelta(days=2)).isoformat(),
        "status": "kept",
        "items_sent": 5,
        "items_kept": 2,
        "kept_items": "denim jacket",
        "amount": "148.00",
        "rating": 4,
    }
    event = copy.deepcopy(event)
    for name, value in changes.items():
        if name.startswith("client__"):
            event["client"][name.removeprefix("client__")] = value
        else:
            event[name] = value
    return event


@pytest.fixture
def post_orders(client, token) -> Callable[..., Any]:
    """POST a batch of events to /api/v1/orders with the all-scopes token."""

    def post(events: list[dict], *, query: str = "", raw_token: str | None = None):
        return client.post(
            f"/api/v1/orders{query}",
            data={"orders": events},
            content_type="application/json",
            headers={"authorization": f"Bearer {raw_token or token}"},
        )

    return post
