"""The client changelist runs a fixed number of queries, however many rows it shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import ClientFactory, ManagerFactory, OrderFactory, StylistFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/client/"


def changelist_queries(http) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(CHANGELIST)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def clients_add(count: int, stylists: list) -> None:
    for i in range(count):
        client = ClientFactory(stylist=stylists[i % len(stylists)])
        OrderFactory(client=client)


@pytest.mark.parametrize("role", ["manager", "stylist"])
def test_changelist_query_count_does_not_grow_with_rows(client, role):
    """Showing 50 clients costs as many queries as showing 5 (no query per row)."""
    stylists = [StylistFactory() for _ in range(3)]
    user = ManagerFactory() if role == "manager" else stylists[0]
    client.force_login(user)
    # A stylist sees a third of the book: 5 and then 50 of their own clients.
    per_step = 5 if role == "manager" else 15
    clients_add(per_step, stylists)
    few = changelist_queries(client)

    clients_add(150 - per_step if role == "stylist" else 45, stylists)
    many = changelist_queries(client)

    assert few == many
