"""A client's best hour from their order history, else the book's."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.cache import cache

from emails.services.best_hour import (
    BestHourSource,
    book_best_hour,
    client_best_hour,
    clients_best_hour,
    hours_modal,
)
from emails.services.send_time import send_time_choose
from tests.customers.factories import ClientFactory, OrderFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def orders_at(client, *hours: int, import_key: bool = False) -> None:
    """Give ``client`` one order per local hour, on successive past days."""
    for n, hour in enumerate(hours):
        ordered_at = dt.datetime(2026, 5, 1 + n, hour, 15, tzinfo=CHICAGO)
        OrderFactory(
            client=client,
            ordered_at=ordered_at,
            import_key=f"k{client.pk}-{n}" if import_key else None,
        )


def test_modal_hour_with_ties_taking_the_earliest():
    assert hours_modal([19, 19, 8, 8, 12]) == 8
    assert hours_modal([7, 19, 19]) == 19
    assert hours_modal([]) is None


def test_best_hour_is_the_modal_local_hour_of_the_clients_orders():
    """Order hours are read in the client's own zone."""
    client = ClientFactory()  # America/Chicago
    orders_at(client, 18, 18, 18, 11, 12)
    best = client_best_hour(client=client)
    assert (best.hour, best.source, best.samples) == (18, BestHourSource.CLIENT, 5)


def test_only_the_last_n_orders_count(settings):
    settings.SEND_BEST_HOUR_ORDERS = 3
    client = ClientFactory()
    orders_at(client, 11, 11, 11, 11, 17, 17, 17)  # the last three are at 17
    assert client_best_hour(client=client).hour == 17


def test_too_little_history_falls_back_to_the_books_best_hour(settings):
    settings.SEND_BEST_HOUR_MIN_ORDERS = 3
    book = ClientFactory()
    orders_at(book, 13, 13, 13, 13)
    newcomer = ClientFactory()
    orders_at(newcomer, 18, 18)
    best = client_best_hour(client=newcomer)
    assert (best.hour, best.source, best.samples) == (13, BestHourSource.BOOK, 2)
    # A client who never ordered gets it too.
    assert client_best_hour(client=ClientFactory()).hour == 13


def test_imported_orders_carry_no_time_of_day():
    """CSV imports store noon for a date: they say nothing about the client's day."""
    client = ClientFactory()
    orders_at(client, 12, 12, 12, 12, import_key=True)
    orders_at(client, 19, 19, 19)
    assert client_best_hour(client=client).hour == 19


def test_a_best_hour_outside_the_window_is_moved_into_it():
    client = ClientFactory()
    orders_at(client, 23, 23, 23)
    assert client_best_hour(client=client).hour == 19


def test_many_clients_in_one_query(django_assert_max_num_queries):
    """The bulk read is one query for all clients (plus the book's, once)."""
    clients = [ClientFactory() for _ in range(5)]
    for n, client in enumerate(clients):
        orders_at(client, 10 + n, 10 + n, 10 + n)
    with django_assert_max_num_queries(1):
        best = clients_best_hour(client_ids=[c.pk for c in clients])
    assert [best[c.pk].hour for c in clients] == [10, 11, 12, 13, 14]


def test_the_books_best_hour_is_cached_for_the_day(django_assert_num_queries):
    client = ClientFactory()
    orders_at(client, 15, 15)
    today = dt.date(2026, 6, 10)
    assert book_best_hour(today=today) == 15
    orders_at(ClientFactory(), 9, 9, 9, 9)
    with django_assert_num_queries(0):
        assert book_best_hour(today=today) == 15  # same day: cached
    assert book_best_hour(today=today + dt.timedelta(days=1)) == 9


def test_send_time_uses_the_order_history_by_default():
    """Without an explicit best hour the client's history picks the slot."""
    client = ClientFactory()
    orders_at(client, 17, 17, 17)
    now = dt.datetime(2026, 6, 10, 8, 0, tzinfo=CHICAGO)
    assert send_time_choose(client=client, now=now) == dt.datetime(
        2026, 6, 10, 17, 0, tzinfo=CHICAGO
    )
