"""The big changelists run a fixed number of queries, however big the book or page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Client, Order
from emails.models import EmailStatus, ReengagementEmail
from scoring.models import ClientScore
from tests.emails.factories import ReengagementEmailFactory

from .factories import (
    ClientFactory,
    ManagerFactory,
    OrderFactory,
    ReviewerFactory,
    StylistFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/client/"
QUEUE = "/admin/emails/reengagementemail/"

# (role, page, model whose admin pages it): every list a role works in daily.
BIG_LISTS = [
    ("manager", CHANGELIST, Client),
    ("manager", f"{CHANGELIST}?o=-7", Client),
    ("manager", f"{CHANGELIST}?q=a", Client),
    ("manager", "/admin/customers/order/", Order),
    ("manager", f"{QUEUE}?queue=all", ReengagementEmail),
    ("stylist", CHANGELIST, Client),
    ("stylist", f"{CHANGELIST}?tier=at_risk", Client),
    ("stylist", "/admin/customers/order/", Order),
    ("reviewer", QUEUE, ReengagementEmail),
    ("reviewer", f"{QUEUE}?q=a", ReengagementEmail),
    ("reviewer", CHANGELIST, Client),
]


def changelist_queries(http, url: str = CHANGELIST) -> tuple[int, int]:
    """Return (queries, rows shown) for one page."""
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200
    body = re.search(rb"<tbody>(.*?)</tbody>", response.content, re.DOTALL)
    rows = body.group(1).count(b"<tr") if body else 0
    return len(ctx.captured_queries), rows


def clients_add(count: int, stylists: list) -> None:
    for i in range(count):
        client = ClientFactory(stylist=stylists[i % len(stylists)])
        OrderFactory(client=client)


def book_add(count: int, stylists: list) -> None:
    """Add clients with two Fixes, a current score and a draft awaiting review."""
    clients = [
        ClientFactory(stylist=stylists[i % len(stylists)], last_name=f"Ames{i}")
        for i in range(count)
    ]
    for client in clients:
        OrderFactory.create_batch(2, client=client)
    ClientScore.objects.bulk_create(
        ClientScore(
            client=client,
            risk_tier="at_risk" if i % 2 else "healthy",
            engagement_score=40,
            churn_risk=0.5 + (i % 50) / 100,
            p_alive=0.5,
            expected_orders=0.5,
            clv=Decimal("100.00"),
            scored_at=timezone.now(),
        )
        for i, client in enumerate(clients)
    )
    ReengagementEmail.objects.bulk_create(
        ReengagementEmailFactory.build(
            client=client,
            status=EmailStatus.PENDING_REVIEW,
            subject=f"Ideas for you, {client.first_name}",
            body="Hi",
        )
        for client in clients
    )


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

    assert few[0] == many[0]


def test_big_lists_query_count_is_constant(client, monkeypatch):
    """Each big list costs the same queries for a small or larger book, 50 or 200 rows.

    The larger book is 30 times the small one: a query per row, per stylist, per
    filter value or per page would show as a difference.
    """
    stylists = [StylistFactory() for _ in range(3)]
    users = {
        "manager": ManagerFactory(),
        "stylist": stylists[0],
        "reviewer": ReviewerFactory(),
    }
    book_add(12, stylists)
    small = {}
    for role, url, _ in BIG_LISTS:
        client.force_login(users[role])
        small[role, url] = changelist_queries(client, url)

    book_add(348, stylists)
    for role, url, model in BIG_LISTS:
        client.force_login(users[role])
        model_admin = admin.site._registry[model]
        monkeypatch.setattr(model_admin, "list_per_page", 50)
        larger_50 = changelist_queries(client, url)
        monkeypatch.setattr(model_admin, "list_per_page", 200)
        larger_200 = changelist_queries(client, url)
        assert larger_200[1] > larger_50[1], (role, url, "the page did not grow")
        assert small[role, url][0] == larger_50[0] == larger_200[0], (
            role,
            url,
            small[role, url],
            larger_50,
            larger_200,
        )


def test_search_sorts_names_without_the_name_index(client):
    """A name search sorts by lower(name), which no index serves.

    Sorting by the indexed name made PostgreSQL walk the name index past every
    non-match (1.7 s for "smith" at a million clients); the matches now come
    from the prefix indexes and only they are sorted. Without a search the list
    keeps the index order.
    """
    client.force_login(ManagerFactory())
    for last_name in ("baker", "Adams", "Carter"):
        ClientFactory(first_name="Ann", last_name=last_name)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(CHANGELIST, {"q": "ann"})
    names = [c.last_name for c in response.context["cl"].result_list]
    assert names == ["Adams", "baker", "Carter"]
    page_sql = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]]
    assert any(
        'ORDER BY LOWER("customers_client"."last_name") ASC' in sql for sql in page_sql
    )
    with CaptureQueriesContext(connection) as ctx:
        client.get(CHANGELIST)
    page_sql = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]]
    assert any('ORDER BY "customers_client"."last_name" ASC' in sql for sql in page_sql)
    assert not any("LOWER" in sql for sql in page_sql)


def test_daily_detail_pages_stay_within_their_query_budget(client):
    """A client's page and a draft's page read each row once.

    Session, user, roles with permissions (one statement, ``customers.access``),
    then the page's own rows: the client with its score and stylist in one
    query, its snapshots once for both the explanation and the chart. Before,
    the client page ran 10 queries and the draft page 12.
    """
    stylist = StylistFactory()
    book_add(1, [stylist])
    email = ReengagementEmail.objects.get()
    pages = [
        (stylist, f"{CHANGELIST}{email.client_id}/change/", 5),
        (ReviewerFactory(), f"{QUEUE}{email.pk}/change/", 9),
    ]
    for user, url, budget in pages:
        client.force_login(user)
        client.get(url)  # warm: the process's content-type cache, as in production
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert len(ctx.captured_queries) <= budget, "\n".join(
            q["sql"][:100] for q in ctx.captured_queries
        )
