"""Absurd dates are refused by the model and the admin forms; stray rows do no harm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.date_bounds import date_bounds_error
from customers.date_ranges import with_date_ranges
from customers.models import Client, Order, OrderStatus
from tests.customers.factories import ClientFactory, ManagerFactory, OrderFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _bounds(settings):
    settings.BUSINESS_STARTED_ON = dt.date(2011, 1, 1)
    settings.BUSINESS_DATE_MAX_FUTURE_DAYS = 3
    settings.ORDER_SCHEDULE_MAX_DAYS = 365


@pytest.mark.parametrize(
    ("day", "scheduled", "ok"),
    [
        (dt.date(2011, 1, 1), False, True),
        (dt.date(2010, 12, 31), False, False),
        (dt.date(1, 1, 1), False, False),
        (TODAY + dt.timedelta(days=3), False, True),
        (TODAY + dt.timedelta(days=4), False, False),
        (TODAY + dt.timedelta(days=365), True, True),
        (TODAY + dt.timedelta(days=366), True, False),
        (dt.date(9999, 12, 31), True, False),
    ],
)
def test_bounds_edges(day, scheduled, ok):
    error = date_bounds_error(day, what="Order date", scheduled=scheduled, today=TODAY)
    assert (error is None) is ok
    if not ok:
        assert error.startswith(f"Order date {day.isoformat()}")


def test_extreme_aware_datetimes_do_not_overflow(settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14
    with timezone.override("Pacific/Kiritimati"):
        last = dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)
        first = dt.datetime(1, 1, 1, 1, tzinfo=dt.UTC)
        assert "too far in the future" in date_bounds_error(last)
        assert "before the business started" in date_bounds_error(first)


@pytest.mark.parametrize("year", [1, 9999])
def test_model_refuses_absurd_order_and_signup_dates(year):
    client = ClientFactory()
    order = Order(
        client=client,
        ordered_at=dt.datetime(year, 1, 2, 12, tzinfo=dt.UTC),
        status=OrderStatus.KEPT,
        items_sent=5,
        items_kept=1,
    )
    with pytest.raises(ValidationError) as raised:
        order.full_clean()
    assert "ordered_at" in raised.value.message_dict
    client.signup_date = dt.date(year, 1, 2)
    with pytest.raises(ValidationError) as raised:
        client.full_clean()
    assert "signup_date" in raised.value.message_dict


def test_scheduled_fix_may_be_booked_ahead_but_a_kept_one_may_not():
    client = ClientFactory()
    ahead = timezone.now() + dt.timedelta(days=60)
    Order(client=client, ordered_at=ahead, status=OrderStatus.SCHEDULED).full_clean()
    with pytest.raises(ValidationError, match="already happened"):
        Order(client=client, ordered_at=ahead, status=OrderStatus.KEPT).full_clean()
    with pytest.raises(ValidationError) as raised:
        Order(
            client=client,
            ordered_at=timezone.now(),
            shipped_at=ahead,
            status=OrderStatus.SCHEDULED,
        ).full_clean()
    assert "shipped_at" in raised.value.message_dict


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_admin_order_form_shows_the_error(client, day):
    client.force_login(ManagerFactory())
    buyer = ClientFactory()
    response = client.post(
        reverse("admin:customers_order_add"),
        {
            "client": buyer.pk,
            "ordered_at_0": day,
            "ordered_at_1": "12:00:00",
            "status": "kept",
            "items_sent": "5",
            "items_kept": "1",
            "amount": "10",
        },
    )
    assert response.status_code == 200
    assert f"Order date {day}" in response.content.decode()
    assert not Order.objects.exists()


def test_stray_absurd_rows_do_not_list_thousands_of_years(client):
    """A row written around validation (bulk) keeps the drill-down to real years."""
    buyer = ClientFactory(signup_date=dt.date(2020, 1, 1))
    OrderFactory(client=buyer, ordered_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    Client.objects.bulk_create(
        [
            Client(
                first_name="Old", email="old@example.com", signup_date=dt.date(1, 1, 1)
            ),
            Client(
                first_name="New",
                email="new@example.com",
                signup_date=dt.date(9999, 12, 31),
            ),
        ]
    )
    years = with_date_ranges(Client.objects.all()).dates("signup_date", "year")
    this_year = timezone.localdate().year
    assert years[0].year == 2011
    assert years[-1].year <= this_year + 1
    client.force_login(ManagerFactory())
    page = client.get(reverse("admin:customers_client_changelist"))
    assert page.status_code == 200
    assert "signup_date__year=1&" not in page.content.decode()
