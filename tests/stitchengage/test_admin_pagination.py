"""Big admin lists count no more rows than they can page, and say so honestly."""

import pytest
from django.contrib import admin
from django.db import connection

from customers.models import Client
from stitchengage import admin_pagination
from stitchengage.admin_pagination import BigTablePaginator

pytestmark = pytest.mark.django_db


def clients_make(count: int) -> None:
    Client.objects.bulk_create(
        Client(first_name="C", email=f"c{i}@example.com") for i in range(count)
    )


def analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_client")


def test_filtered_count_stops_at_the_cap(monkeypatch):
    """Past the cap a filter counts the cap and says "more than"; below, exact."""
    clients_make(7)
    monkeypatch.setattr(admin_pagination, "COUNTED_PAGES", 5)
    many = BigTablePaginator(Client.objects.filter(first_name="C"), 1)
    assert many.count == 5
    assert many.count_text == "more than 5"
    few = BigTablePaginator(Client.objects.filter(email__lt="c3"), 1)
    assert few.count == 3
    assert few.count_text == "3"


def test_exactly_the_cap_is_not_more_than_the_cap(monkeypatch):
    """A filter matching exactly the cap shows the exact number."""
    clients_make(5)
    monkeypatch.setattr(admin_pagination, "COUNTED_PAGES", 5)
    paginator = BigTablePaginator(Client.objects.filter(first_name="C"), 1)
    assert (paginator.count, paginator.count_text) == (5, "5")


def test_whole_table_takes_the_estimate_past_the_cap(
    monkeypatch, django_assert_num_queries
):
    """An unfiltered big list says "about N" (the planner's), counting only the cap."""
    clients_make(7)
    analyse()
    monkeypatch.setattr(admin_pagination, "COUNTED_PAGES", 5)
    paginator = BigTablePaginator(Client.objects.all(), 1)
    with django_assert_num_queries(2) as ctx:
        assert paginator.count_text == "about 7"
        assert paginator.count == 5
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 6" in counts[0]


def test_changelist_shows_the_estimate(admin_client, monkeypatch):
    """The client list says "about N clients" when it did not count them."""
    clients_make(7)
    analyse()
    monkeypatch.setattr(admin_pagination, "COUNTED_PAGES", 5)
    monkeypatch.setattr(admin.site._registry[Client], "list_per_page", 1)
    page = admin_client.get("/admin/customers/client/").content.decode()
    assert "about 7 clients" in page
    searched = admin_client.get("/admin/customers/client/?q=C").content.decode()
    assert "more than 5 results" in searched


def test_row_checkbox_is_what_admin_actions_read(admin_client):
    """The row checkbox carries the name, value and class admin actions read."""
    client_row = Client.objects.create(first_name="Ann", email="ann@example.com")
    page = admin_client.get("/admin/customers/client/").content.decode()
    assert (
        f'<input type="checkbox" name="_selected_action" value="{client_row.pk}" '
        'class="action-select"'
    ) in page
