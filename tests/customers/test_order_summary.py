"""Every order write keeps the client's order summary equal to its orders.

The oracle is plain Python over the Order rows (not the SQL that builds the
summary), checked after random inserts, edits, deletes and imports on
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Client, ClientOrderSummary, Order, OrderStatus
from customers.services.order_import import orders_import_csv
from customers.services.order_summary import DAY_RECORD, first_countable_instant
from tests.scoring.book import book_create

pytestmark = pytest.mark.django_db(transaction=False)
_EPOCH = dt.date(1970, 1, 1)
_serial = itertools.count()
SETTLED = (OrderStatus.KEPT, OrderStatus.RETURNED)


def _expected() -> dict[int, dict]:
    """Return the summary every client should have, computed from its orders."""
    first = first_countable_instant()
    days: dict[int, dict[dt.date, list[Order]]] = defaultdict(lambda: defaultdict(list))
    for order in Order.objects.all():
        if order.status != OrderStatus.CANCELED and order.ordered_at >= first:
            day = timezone.localtime(order.ordered_at).date()
            days[order.client_id][day].append(order)
    expected = {}
    for client_id, by_day in days.items():
        records = []
        for day in sorted(by_day):
            orders = by_day[day]
            settled = [o for o in orders if o.status in SETTLED]
            ratings = [o.rating for o in orders if o.rating is not None]
            records.append(
                (
                    (day - _EPOCH).days,
                    max(o.ordered_at for o in orders).timestamp(),
                    float(sum(o.amount for o in orders)),
                    len(orders),
                    sum(o.items_sent for o in orders),
                    sum(o.items_kept for o in orders),
                    sum(o.items_sent for o in settled) if settled else -1,
                    sum(o.items_kept for o in settled) if settled else -1,
                    sum(ratings),
                    len(ratings),
                )
            )
        every = [o for orders in by_day.values() for o in orders]
        expected[client_id] = {
            "order_days": len(by_day),
            "first_order_on": min(by_day),
            "last_order_on": max(by_day),
            "last_ordered_at": max(o.ordered_at for o in every),
            "amount_total": sum(o.amount for o in every),
            "items_sent": sum(o.items_sent for o in every),
            "items_kept": sum(o.items_kept for o in every),
            "rating_sum": sum(o.rating or 0 for o in every),
            "rating_count": sum(o.rating is not None for o in every),
            "days": records,
        }
    return expected


def _stored() -> dict[int, dict]:
    stored = {}
    for row in ClientOrderSummary.objects.all():
        records = np.frombuffer(bytes(row.days), DAY_RECORD)
        stored[row.client_id] = {
            "order_days": row.order_days,
            "first_order_on": row.first_order_on,
            "last_order_on": row.last_order_on,
            "last_ordered_at": row.last_ordered_at,
            "amount_total": row.amount_total,
            "items_sent": row.items_sent,
            "items_kept": row.items_kept,
            "rating_sum": row.rating_sum,
            "rating_count": row.rating_count,
            "days": [tuple(r.item()) for r in records],
        }
    return stored


def assert_summaries_match_orders() -> None:
    assert _stored() == _expected()


order_fields = st.fixed_dictionaries(
    {
        "day": st.integers(-45, 45),
        "hour": st.integers(0, 23),
        "status": st.sampled_from(OrderStatus.values),
        "items_sent": st.integers(0, 8),
        "kept_share": st.floats(0, 1),
        "cents": st.integers(0, 50_000),
        "rating": st.none() | st.integers(1, 5),
        "before_start": st.booleans(),
    }
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 3), order_fields),
        st.tuples(st.just("edit"), st.integers(0, 30), order_fields),
        st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 3)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("delete_all"), st.integers(0, 3)),
        st.tuples(
            st.just("import"),
            st.lists(
                st.tuples(st.integers(0, 3), st.integers(-45, 0), st.integers(0, 9999)),
                min_size=1,
                max_size=4,
            ),
        ),
    ),
    min_size=1,
    max_size=12,
)


def _apply(order: Order, fields: dict, now: dt.datetime) -> None:
    if fields["before_start"]:
        order.ordered_at = first_countable_instant() - dt.timedelta(hours=1)
    else:
        order.ordered_at = now.replace(hour=fields["hour"]) + dt.timedelta(
            days=fields["day"]
        )
    order.status = fields["status"]
    order.items_sent = fields["items_sent"]
    order.items_kept = int(fields["items_sent"] * fields["kept_share"])
    order.amount = Decimal(fields["cents"]) / 100
    order.rating = fields["rating"]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=operations)
def test_order_summaries_equal_the_orders_after_any_writes(steps, tmp_path):
    """Inserts, edits, moves to another client, deletes (one and many) and
    imports all keep the summary."""
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    batch = next(_serial)
    clients = [
        Client.objects.create(
            first_name=f"H{batch}-{i}",
            email=f"summary-{batch}-{i}@example.com",
            external_id=f"HX{batch}-{i}",
        )
        for i in range(4)
    ]
    orders: list[Order] = []
    for step in steps:
        if step[0] == "create":
            order = Order(client=clients[step[1]])
            _apply(order, step[2], now)
            order.save()
            orders.append(order)
        elif step[0] == "edit" and orders:
            order = orders[step[1] % len(orders)]
            if Order.objects.filter(pk=order.pk).exists():
                _apply(order, step[2], now)
                order.save()
        elif step[0] == "move" and orders:
            order = orders[step[1] % len(orders)]
            if Order.objects.filter(pk=order.pk).exists():
                order.client = clients[step[2]]
                order.save()
        elif step[0] == "delete" and orders:
            order = orders.pop(step[1] % len(orders))
            Order.objects.filter(pk=order.pk).delete()
        elif step[0] == "delete_all":
            Order.objects.filter(client=clients[step[1]]).delete()
        elif step[0] == "import":
            path = tmp_path / f"import-{batch}.csv"
            lines = ["customer_id,date,amount"] + [
                f"HX{batch}-{i},{(now + dt.timedelta(days=d)).date()},{c / 100:.2f}"
                for i, d, c in step[1]
            ]
            path.write_text("\n".join(lines) + "\n")
            orders_import_csv(path=path)
        assert_summaries_match_orders()


def test_rebuild_restores_a_summary_written_past_the_write_paths():
    """A raw update leaves the summary stale; ``--rebuild-summary`` repairs it."""
    client = book_create(clients=40)[0]
    Order.objects.filter(client=client).update(amount=Decimal("99.00"))
    with pytest.raises(AssertionError):
        assert_summaries_match_orders()
    call_command("score_clients", "--rebuild-summary", verbosity=0)
    assert_summaries_match_orders()
    assert ClientOrderSummary.objects.count() == 40


def test_a_fix_moved_to_another_client_leaves_the_first_summary():
    """Both clients' summaries follow a Fix moved from one to the other."""
    first, second = (
        Client.objects.create(first_name=n, email=f"move-{n}@example.com")
        for n in ("a", "b")
    )
    order = Order.objects.create(
        client=first,
        ordered_at=timezone.now() - dt.timedelta(days=2),
        status=OrderStatus.KEPT,
        amount=Decimal("12.00"),
    )
    order.client = second
    order.save()
    assert not ClientOrderSummary.objects.filter(client=first).exists()
    assert ClientOrderSummary.objects.get(client=second).order_days == 1
    assert_summaries_match_orders()
