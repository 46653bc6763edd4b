"""The admin's date drill-down lists periods from MIN..MAX, not a DISTINCT scan."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.date_ranges import with_date_ranges
from customers.models import Client, Order
from tests.customers.factories import ManagerFactory

pytestmark = pytest.mark.django_db


def test_years_span_first_to_last():
    """Years come out from the first to the last signup, in one aggregate query."""
    for i, year in enumerate((2021, 2024, 2022)):
        Client.objects.create(
            first_name="C", email=f"c{i}@example.com", signup_date=dt.date(year, 5, 1)
        )
    qs = with_date_ranges(Client.objects.all())
    with CaptureQueriesContext(connection) as ctx:
        years = qs.dates("signup_date", "year")
    assert [d.year for d in years] == [2021, 2022, 2023, 2024]
    assert len(ctx.captured_queries) == 1
    assert "DISTINCT" not in ctx.captured_queries[0]["sql"]
    months = qs.filter(signup_date__year=2022).dates("signup_date", "month", "DESC")
    assert months == [dt.date(2022, 5, 1)]


def test_admin_drill_down_still_works(client):
    """The order list's date hierarchy links each year and filters by it."""
    manager = ManagerFactory()
    c = Client.objects.create(first_name="C", email="c@example.com")
    Order.objects.bulk_create(
        Order(client=c, ordered_at=dt.datetime(y, 3, 1, tzinfo=dt.UTC), amount=10)
        for y in (2023, 2025)
    )
    client.force_login(manager)
    url = reverse("admin:customers_order_changelist")
    page = client.get(url).content.decode()
    assert "ordered_at__year=2024" in page
    filtered = client.get(url, {"ordered_at__year": "2025"})
    assert filtered.status_code == 200
    assert filtered.context["cl"].result_count == 1


def test_search_results_skip_the_date_drill_down(client):
    """A search lists its matches without a year drill-down (no extra scan)."""
    client.force_login(ManagerFactory())
    Client.objects.create(first_name="Ann", email="ann@example.com")
    url = reverse("admin:customers_client_changelist")
    assert "signup_date__year=" in client.get(url).content.decode()
    searched = client.get(url, {"q": "ann"})
    assert searched.context["cl"].result_count == 1
    assert "signup_date__year=" not in searched.content.decode()
