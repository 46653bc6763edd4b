"""The API over real HTTP (pytest-django's live_server, requests)."""

from __future__ import annotations

import threading

import pytest
import requests

from customers.models import Client, Order
from tests.api.conftest import event_make

pytestmark = pytest.mark.django_db(transaction=True)


def test_batch_over_http_then_read_the_client(live_server, token):
    """Post a batch, read a client back, and get problem details for bad JSON."""
    headers = {"Authorization": f"Bearer {token}"}
    events = [event_make(n, client_n=n % 10) for n in range(50)]
    response = requests.post(
        f"{live_server.url}/api/v1/orders",
        json={"orders": events},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 50
    standing = requests.get(
        f"{live_server.url}/api/v1/clients/C-3", headers=headers, timeout=30
    )
    assert standing.status_code == 200
    assert standing.json()["order_count"] == 5
    broken = requests.post(
        f"{live_server.url}/api/v1/orders",
        data=b'{"orders": [',
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert broken.status_code == 400
    assert broken.headers["Content-Type"] == "application/problem+json"


def test_concurrent_identical_batches_do_not_duplicate(live_server, token):
    """Four identical batches at once leave one order per event, one client each."""
    events = [event_make(n, client_n=n % 20) for n in range(100)]
    statuses: list[int] = []

    def post() -> None:
        response = requests.post(
            f"{live_server.url}/api/v1/orders",
            json={"orders": events},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A batch that lost the race to create a client answers 409 (retry); none 500.
    assert set(statuses) <= {200, 409}, statuses
    assert 200 in statuses
    assert Order.objects.count() == 100
    assert Client.objects.count() == 20
