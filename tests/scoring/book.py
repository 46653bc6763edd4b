"""A small, varied order book for scoring tests.

Bulk-created (no signals fire), then the clients' order facts and summaries
refreshed as every bulk write path in the code does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.utils import timezone

from customers.models import Client, Order, OrderStatus
from customers.services.order_facts import clients_order_facts_refresh


def orders_bulk_create(orders) -> list[Order]:
    """Insert orders in bulk and refresh their clients' facts and summaries."""
    created = Order.objects.bulk_create(list(orders))
    clients_order_facts_refresh(client_pks={order.client_id for order in created})
    return created


def book_create(*, clients: int, seed: int = 7, now: dt.datetime | None = None):
    """Create clients with heterogeneous purchase rates and drop-out; return them."""
    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    created = Client.objects.bulk_create(
        Client(
            first_name=f"Client{i}",
            email=f"book{seed}-{i}@example.com",
            marketing_consent=True,
        )
        for i in range(clients)
    )
    orders = []
    for client in created:
        rate = rng.gamma(2.0, 1 / 60.0)  # orders per day
        p_drop = rng.beta(1.0, 4.0)
        day = int(rng.integers(0, 400))  # days before "now - 400" the client started
        start = now - dt.timedelta(days=400 + day)
        t = 0.0
        while True:
            orders.append(
                Order(
                    client=client,
                    ordered_at=start + dt.timedelta(days=t),
                    status=OrderStatus.KEPT,
                    items_sent=5,
                    items_kept=int(rng.integers(0, 6)),
                    amount=Decimal(str(round(float(rng.gamma(4.0, 30.0)), 2))),
                    rating=int(rng.integers(1, 6)) if rng.random() < 0.6 else None,
                )
            )
            if rng.random() < p_drop:
                break
            t += rng.exponential(1 / rate)
            if start + dt.timedelta(days=t) > now:
                break
    orders_bulk_create(orders)
    return created


def regular_book_create(*, clients: int = 200, now: dt.datetime | None = None):
    """Create clients who order like clockwork and never lapse; return them.

    Every client orders every 14, 30 or 60 days, 3 to 22 times, the last time
    at most 4 days ago. Nobody has ever dropped out, so BG/NBD's drop-out
    probability is pushed to zero: the fit ends with ``a`` on its lower bound
    (a degenerate fit on real data, no patching).
    """
    now = now or timezone.now()
    rng = np.random.default_rng(11)
    created = Client.objects.bulk_create(
        Client(first_name=f"Regular{i}", email=f"regular-{i}@example.com")
        for i in range(clients)
    )
    orders = []
    for i, client in enumerate(created):
        gap, repeats, last = (14, 30, 60)[i % 3], 2 + i % 20, i % 5
        orders += [
            Order(
                client=client,
                ordered_at=now - dt.timedelta(days=last + gap * k),
                status=OrderStatus.KEPT,
                items_sent=5,
                items_kept=3,
                amount=Decimal(str(round(float(rng.gamma(4.0, 30.0)), 2))),
            )
            for k in range(repeats + 1)
        ]
    orders_bulk_create(orders)
    return created
