"""A stylist's order form and list filters stay inside their own book."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Order
from tests.customers.factories import (
    ClientFactory,
    ManagerFactory,
    OrderFactory,
    StylistFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    alice = StylistFactory(first_name="Alice", last_name="Adams")
    bob = StylistFactory(first_name="Bobby", last_name="Brown")
    mine = ClientFactory(stylist=alice, first_name="Ann", email="ann@example.com")
    theirs = ClientFactory(stylist=bob, first_name="Zebedee", email="zeb@example.com")
    return {
        "alice": alice,
        "bob": bob,
        "mine": mine,
        "theirs": theirs,
        "my_order": OrderFactory(client=mine),
        "their_order": OrderFactory(client=theirs),
    }


def _order_form(client_pk: int) -> dict[str, str]:
    return {
        "client": str(client_pk),
        "ordered_at_0": "2026-11-20",
        "ordered_at_1": "10:00:00",
        "status": "kept",
        "items_sent": "5",
        "items_kept": "2",
        "amount": "120.00",
    }


def test_stylist_cannot_add_an_order_for_another_stylists_client(client, book):
    client.force_login(book["alice"])
    before = Order.objects.count()
    response = client.post(
        reverse("admin:customers_order_add"), _order_form(book["theirs"].pk)
    )
    assert response.status_code == 200  # the form again, with an error
    assert "Select a valid choice" in response.content.decode()
    assert Order.objects.count() == before


def test_stylist_adds_an_order_for_their_own_client(client, book):
    client.force_login(book["alice"])
    response = client.post(
        reverse("admin:customers_order_add"), _order_form(book["mine"].pk)
    )
    assert response.status_code == 302
    assert Order.objects.filter(client=book["mine"], amount=120).exists()


def test_stylist_cannot_move_their_order_to_another_client(client, book):
    client.force_login(book["alice"])
    order = book["my_order"]
    response = client.post(
        reverse("admin:customers_order_change", args=[order.pk]),
        _order_form(book["theirs"].pk),
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.client_id == book["mine"].pk


def test_prefill_with_a_foreign_client_id_reveals_nothing(client, book):
    client.force_login(book["alice"])
    add = reverse("admin:customers_order_add")
    page = client.get(add, {"client": book["theirs"].pk}).content.decode()
    assert "zeb@example.com" not in page
    assert "Zebedee" not in page
    for junk in ("abc", "-1", "99999999999"):
        assert client.get(add, {"client": junk}).status_code == 200
    own = client.get(add, {"client": book["mine"].pk}).content.decode()
    assert "ann@example.com" in own


def test_stylists_list_shows_no_colleague_names(client, book):
    client.force_login(book["alice"])
    for name in ("customers_client", "emails_reengagementemail"):
        page = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert "Bobby" not in page, name
        assert "By stylist" not in page, name


def test_manager_filters_by_stylist(client, book):
    client.force_login(ManagerFactory())
    url = reverse("admin:customers_client_changelist")
    page = client.get(url).content.decode()
    assert "Bobby" in page
    narrowed = client.get(url, {"stylist": book["bob"].pk}).content.decode()
    assert "zeb@example.com" in narrowed
    assert "ann@example.com" not in narrowed


def test_unknown_filter_value_is_ignored_with_a_warning(client, book):
    """The bad value is dropped; the rest of the query still applies."""
    client.force_login(ManagerFactory())
    url = reverse("admin:customers_client_changelist")
    response = client.get(url, {"signup_year": "abc", "q": "Zebedee"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ignored the signup period filter" in page
    assert "zeb@example.com" in page
    assert "ann@example.com" not in page
    response = client.get(
        url, {"signup_date__year": "9999", "signup_date__month": "12"}
    )
    assert response.status_code == 200
    assert "Ignored the date filter" in response.content.decode()
