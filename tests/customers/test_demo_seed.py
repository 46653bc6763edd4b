"""The seed_demo command and the demo data it creates."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F

from customers.columns import CLIENT_ORDER_FACTS, CLIENT_PROFILE, ORDER_FACTS
from customers.models import Client, Order, OrderStatus, Style
from customers.roles import STYLISTS
from customers.services.demo_seed import (
    DemoDataExistsError,
    demo_data_delete,
    demo_seed,
)

from .factories import ClientFactory, StylistFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


def data_digest() -> str:
    """Hash every demo field that should be reproducible (not pks or timestamps)."""
    h = hashlib.sha256()
    # The stylist by name: stylist pks differ between two seedings.
    client_columns = [
        "stylist__username" if name == "stylist" else name
        for name in (*CLIENT_PROFILE, *CLIENT_ORDER_FACTS)
    ]
    for row in Client.objects.order_by("external_id").values_list(*client_columns):
        h.update(repr(row).encode())
    for row in Order.objects.order_by("client__external_id", "ordered_at").values_list(
        "client__external_id", *ORDER_FACTS
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


@pytest.mark.slow
def test_same_seed_gives_identical_data():
    """Seeding twice with the same arguments (after a reset) gives the same data."""
    demo_seed(clients=300, seed=7, today=TODAY)
    first = data_digest()
    demo_data_delete()
    assert Client.objects.count() == 0

    demo_seed(clients=300, seed=7, today=TODAY)

    assert data_digest() == first


def test_other_seed_gives_other_data():
    """A different seed draws different clients."""
    demo_seed(clients=50, seed=1, today=TODAY)
    first = data_digest()
    demo_data_delete()
    demo_seed(clients=50, seed=2, today=TODAY)

    assert data_digest() != first


def test_stylists_are_staff_in_the_stylists_group():
    """Demo stylists can use the admin as stylists and own all the clients."""
    summary = demo_seed(clients=100, seed=3, stylists=4, today=TODAY)

    stylists = get_user_model().objects.filter(groups__name=STYLISTS)
    assert summary.stylists == 4
    assert stylists.count() == 4
    assert all(user.is_staff for user in stylists)
    assert not Client.objects.filter(stylist__isnull=True).exists()
    assert set(Client.objects.values_list("stylist", flat=True)) <= set(
        stylists.values_list("pk", flat=True)
    )


def test_segment_mix_and_order_patterns():
    """All four segments appear in plausible shares, each what its clients are at
    today (README "On the demo book"; per client in test_demo_book.py)."""
    summary = demo_seed(clients=1000, seed=11, today=TODAY)

    shares = {name: n / summary.clients for name, n in summary.segments.items()}
    assert set(shares) == {"loyal", "cooling", "lapsed", "new"}
    assert 0.25 < shares["loyal"] < 0.45
    assert 0.20 < shares["lapsed"] < 0.40
    assert 0.10 < shares["cooling"] < 0.30
    assert 0.08 < shares["new"] < 0.22

    tz = zoneinfo.ZoneInfo("UTC")
    today = dt.datetime.combine(TODAY, dt.time(), tzinfo=tz)
    # Lapsed clients stopped over four months ago; loyal ones have a next Fix.
    stopped = Client.objects.filter(last_order_at__lt=today - dt.timedelta(days=120))
    assert stopped.count() >= summary.segments["lapsed"]
    next_fix = Client.objects.filter(orders__status=OrderStatus.SCHEDULED).distinct()
    assert next_fix.count() >= summary.segments["loyal"]
    scheduled = Order.objects.filter(status=OrderStatus.SCHEDULED)
    assert scheduled.exists()
    assert not scheduled.filter(ordered_at__date__lte=TODAY).exists()
    for status in OrderStatus.values:
        assert Order.objects.filter(status=status).exists(), status
    signup = Client.objects.order_by("signup_date").values_list(
        "signup_date", flat=True
    )
    assert (TODAY - signup.first()).days > 2 * 365
    assert Order.objects.order_by("ordered_at").first().ordered_at.date() < (
        TODAY - dt.timedelta(days=2 * 365)
    )


def test_constraints_and_profiles_are_consistent():
    """Seeded rows satisfy the model's rules and their fields agree with each other."""
    summary = demo_seed(clients=500, seed=5, today=TODAY)

    orders = Order.objects.all()
    assert summary.orders == orders.count()
    assert not orders.filter(items_kept__gt=F("items_sent")).exists()
    assert set(orders.values_list("items_sent", flat=True)) == {5}
    assert not orders.filter(amount__lt=0).exists()
    assert (
        not orders.exclude(rating__isnull=True).exclude(rating__range=(1, 5)).exists()
    )
    assert not orders.filter(
        status__in=[OrderStatus.SCHEDULED, OrderStatus.CANCELED], items_kept__gt=0
    ).exists()
    assert not orders.filter(status=OrderStatus.KEPT, items_kept=0).exists()
    assert not orders.filter(shipped_at__lt=F("ordered_at")).exists()
    for order in orders.filter(status=OrderStatus.KEPT)[:200]:
        assert len(order.kept_items.split(", ")) == order.items_kept
        assert order.amount >= 20
    assert orders.exclude(feedback_comment="").exists()

    clients = list(Client.objects.all())
    consent = sum(c.marketing_consent for c in clients) / len(clients)
    assert 0.7 < consent < 0.9
    assert any(c.stylist_notes for c in clients)
    for client in clients[:50]:
        client.full_clean(exclude=["stylist"])
    for client in clients:
        assert set(client.preferred_styles) <= set(Style.values)
    counts = dict(Client.objects.values_list("pk", "order_count"))
    actual = {}
    for client_id in orders.values_list("client_id", flat=True):
        actual[client_id] = actual.get(client_id, 0) + 1
    assert counts == actual


def test_amounts_follow_the_budget_band():
    """Luxury clients pay more per kept item than value clients."""
    demo_seed(clients=800, seed=9, today=TODAY)

    def per_item(band: str) -> float:
        kept = Order.objects.filter(
            client__budget_band=band, status=OrderStatus.KEPT
        ).values_list("amount", "items_kept")
        return float(sum(a for a, _ in kept)) / sum(k for _, k in kept)

    assert per_item("value") < 50 < per_item("moderate") < 100 < per_item("premium")


def test_existing_demo_data_is_not_duplicated():
    """Seeding on top of demo data is refused; the command's --reset replaces it."""
    demo_seed(clients=20, seed=1, today=TODAY)
    with pytest.raises(DemoDataExistsError):
        demo_seed(clients=20, seed=1, today=TODAY)

    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--clients", "20", stdout=StringIO())


def test_reset_keeps_other_data():
    """--reset deletes only demo clients and stylists, not real ones."""
    real_stylist = StylistFactory()
    real_client = ClientFactory(stylist=real_stylist)
    out = StringIO()
    call_command("seed_demo", "--clients", "30", "--seed", "4", stdout=out)
    call_command("seed_demo", "--clients", "10", "--seed", "4", "--reset", stdout=out)

    assert Client.objects.count() == 11
    assert Client.objects.filter(pk=real_client.pk).exists()
    assert get_user_model().objects.filter(pk=real_stylist.pk).exists()
    assert "Deleted 30 demo clients and 5 demo stylists" in out.getvalue()
    assert "Seeded 5 stylists, 10 clients" in out.getvalue()
