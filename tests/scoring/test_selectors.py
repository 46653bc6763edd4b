"""The full run's one read of the order summaries equals the two order aggregations.

``order_book`` (summaries) against ``order_stats`` + ``order_history`` (the
orders, as before) on a random book with canceled Fixes, scheduled future
Fixes, Fixes later on the scoring day and Fixes before the business started.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from customers.models import Client, Order, OrderStatus
from customers.services.order_summary import first_countable_instant
from scoring.selectors import order_book, order_history, order_stats
from tests.scoring.book import orders_bulk_create

pytestmark = pytest.mark.django_db


def _random_book(rng: np.random.Generator, as_of: dt.datetime, clients: int) -> None:
    created = Client.objects.bulk_create(
        Client(first_name=f"B{i}", email=f"book-read-{i}@example.com")
        for i in range(clients)
    )
    statuses = OrderStatus.values
    orders = []
    for client in created:
        for _ in range(int(rng.integers(0, 12))):
            pick = rng.random()
            if pick < 0.05:  # before the business started: never counts
                at = first_countable_instant() - dt.timedelta(hours=3)
            elif pick < 0.15:  # the scoring day, before or after the scoring instant
                at = as_of + dt.timedelta(minutes=int(rng.integers(-300, 300)))
            else:
                at = as_of + dt.timedelta(
                    days=int(rng.integers(-700, 40)), hours=int(rng.integers(0, 24))
                )
            sent = int(rng.integers(0, 7))
            orders.append(
                Order(
                    client=client,
                    ordered_at=at,
                    status=statuses[int(rng.integers(len(statuses)))],
                    items_sent=sent,
                    items_kept=int(rng.integers(0, sent + 1)),
                    amount=Decimal(int(rng.integers(0, 40_000))) / 100,
                    rating=int(rng.integers(1, 6)) if rng.random() < 0.6 else None,
                )
            )
    orders_bulk_create(orders)


@pytest.mark.parametrize("parts", [1, 3])
def test_order_book_equals_the_order_aggregations(parts):
    """Same clients, same statistics, same client-day history, any part count."""
    rng = np.random.default_rng(parts)
    as_of = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    _random_book(rng, as_of, clients=150)

    book = order_book(as_of=as_of, parts=parts)
    stats = order_stats(as_of=as_of)
    ids, history = order_history(as_of=as_of)

    assert len(stats) > 100
    np.testing.assert_array_equal(book.stats.client_ids, stats.client_ids)
    for field in (
        "order_days",
        "first_day",
        "last_day",
        "items_sent",
        "items_kept",
        "rating_sum",
        "rating_n",
        "n_orders",
        "last_ordered_epoch",
        "first_day_amount",
    ):
        np.testing.assert_array_equal(
            getattr(book.stats, field), getattr(stats, field), err_msg=field
        )
    np.testing.assert_allclose(book.stats.total_amount, stats.total_amount, rtol=1e-12)

    book_ids, book_history = book.history()
    assert len(book.parts) == parts
    np.testing.assert_array_equal(book_ids, book.stats.client_ids)
    np.testing.assert_array_equal(ids, book_ids)
    assert book_history.n_clients == history.n_clients
    for field in ("client", "day", "amount", "items_sent", "items_kept"):
        np.testing.assert_array_equal(
            getattr(book_history, field), getattr(history, field), err_msg=field
        )
    np.testing.assert_allclose(book_history.rating, history.rating, rtol=1e-15)
