"""The changelist rows of ``stitchengage.admin_rows`` are Django's, byte for byte."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.utils import timezone

from customers.models import Client
from emails.models import EmailStatus
from scoring.models import ClientScore
from stitchengage.admin_rows import rows_render
from tests.customers import factories
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/admin/customers/client/"
ORDERS = "/admin/customers/order/"
QUEUE = "/admin/emails/reengagementemail/"

# Each column kind the lists have: admin methods (HTML, text, booleans, dates),
# plain and choice fields, a foreign key, decimals, empty values; filtered,
# searched and sorted, so the rows' links carry preserved filters.
PAGES = [
    ("manager", CLIENTS),
    ("manager", f"{CLIENTS}?o=-7"),
    ("manager", f"{CLIENTS}?q=ames&marketing_consent__exact=1"),
    ("manager", ORDERS),
    ("manager", f"{ORDERS}?status__exact=kept&o=-3"),
    ("manager", f"{QUEUE}?queue=all"),
    ("stylist", CLIENTS),
    ("stylist", f"{CLIENTS}?tier=at_risk"),
    ("stylist", ORDERS),
    ("reviewer", QUEUE),
    ("reviewer", f"{QUEUE}?q=ames"),
]


def book_make(stylists: list) -> None:
    """Add clients with and without scores, Fixes with empty and odd values, drafts."""
    for i in range(12):
        client = factories.ClientFactory(
            stylist=stylists[i % len(stylists)],
            last_name=f"Ames & <Co> {i}",
            city="" if i % 3 == 0 else "Denver",
            marketing_consent=bool(i % 2),
        )
        factories.OrderFactory(client=client, rating=None if i % 2 else 4)
        factories.OrderFactory(client=client, kept_items="", amount=Decimal("1234.50"))
        if i % 4:
            ClientScore.objects.create(
                client=client,
                risk_tier="at_risk" if i % 4 in (1, 2) else "healthy",
                engagement_score=40 + i,
                churn_risk=0.5 + i / 100,
                p_alive=0.5,
                expected_orders=0.5,
                clv=Decimal("1100.25"),
                scored_at=timezone.now(),
            )
        ReengagementEmailFactory(
            client=client,
            status=EmailStatus.APPROVED if i % 3 == 0 else EmailStatus.PENDING_REVIEW,
            send_after=timezone.now() + dt.timedelta(hours=i) if i % 3 == 0 else None,
            subject=f"Ideas for <you>, {client.first_name} " + "x" * (i * 5),
            body="Hi",
        )


def django_rows(cl) -> list[str]:
    return ["".join(items_for_result(cl, result, None)) for result in cl.result_list]


@pytest.mark.parametrize(("role", "url"), PAGES)
def test_rows_are_djangos_own(client, role, url):
    """Each big list's rows are the markup Django's items_for_result renders."""
    stylists = [factories.StylistFactory() for _ in range(2)]
    users = {
        "manager": factories.ManagerFactory(),
        "stylist": stylists[0],
        "reviewer": factories.ReviewerFactory(),
    }
    book_make(stylists)
    client.force_login(users[role])

    response = client.get(url)

    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.result_list, "the page lists nobody: nothing compared"
    ours = list(rows_render(cl))
    assert ours == django_rows(cl)
    body = re.search(
        r'<table id="result_list">.*?<tbody>(.*?)</tbody>',
        response.content.decode(),
        re.DOTALL,
    ).group(1)
    assert body.split() == " ".join(f"<tr>{row}</tr>" for row in ours).split()


def test_every_registered_list_renders_djangos_rows(client):
    """Every admin list a superuser opens shows Django's rows, whatever its columns."""
    stylists = [factories.StylistFactory()]
    book_make(stylists)
    client.force_login(factories.SuperuserFactory())
    compared = 0
    for model in admin.site._registry:
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        response = client.get(url)
        assert response.status_code == 200, url
        cl = response.context["cl"]
        assert list(rows_render(cl)) == django_rows(cl), url
        compared += bool(cl.result_list)
    assert compared >= 5


def test_a_row_without_a_change_url_is_text(client, monkeypatch):
    """A list whose rows have no link (list_display_links None) has no anchors."""
    book_make([factories.StylistFactory()])
    client.force_login(factories.ManagerFactory())
    model_admin = admin.site._registry[Client]
    monkeypatch.setattr(model_admin, "list_display_links", None)

    response = client.get(CLIENTS)

    cl = response.context["cl"]
    ours = list(rows_render(cl))
    assert ours == django_rows(cl)
    assert not any(re.search(r"<a href=\"/admin/customers/client/\d+", r) for r in ours)
