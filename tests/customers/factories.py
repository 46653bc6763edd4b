"""factory_boy factories for the client book: users by role, clients, orders.

Scores and snapshots: ``tests/scoring/factories.py``; emails:
``tests/emails/factories.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import BudgetBand, Client, Order, OrderStatus, RiskTier
from customers.roles import MANAGERS, REVIEWERS, STYLISTS

PASSWORD = "correct-horse-battery-staple"  # test-only


def password_login(client, user) -> None:
    """Sign the test client in as ``user`` through the login backends."""
    assert client.login(username=user.username, password=PASSWORD)


def _roles(*default: str) -> factory.PostGeneration:
    """Add the user to role groups: the given default, or ``roles=[...]`` if passed."""

    def add(user, create, extracted, **kwargs):
        names = default if extracted is None else extracted
        if create and names:
            user.groups.add(*Group.objects.filter(name__in=names))

    return factory.PostGeneration(add)


class UserFactory(factory.django.DjangoModelFactory):
    """A plain active user with a known password (``PASSWORD``)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)
    is_staff = False

    roles = _roles()


class StylistFactory(UserFactory):
    """A staff user in the Stylists group."""

    username = factory.Sequence(lambda n: f"stylist{n}")
    is_staff = True
    roles = _roles(STYLISTS)


class ReviewerFactory(StylistFactory):
    """A staff user in the Reviewers group."""

    username = factory.Sequence(lambda n: f"reviewer{n}")
    roles = _roles(REVIEWERS)


class ManagerFactory(StylistFactory):
    """A staff user in the Managers group."""

    username = factory.Sequence(lambda n: f"manager{n}")
    roles = _roles(MANAGERS)


class SuperuserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


# Staff users by role name, as the role table speaks of them ("plain": staff in
# no role group).
ROLE_FACTORIES: dict[str, Callable[..., object]] = {
    "plain": partial(UserFactory, is_staff=True),
    "stylist": StylistFactory,
    "reviewer": ReviewerFactory,
    "manager": ManagerFactory,
    "superuser": SuperuserFactory,
}


def user_with_role(role: str, **fields):
    """Return a new staff user in one role; ``fields`` set its columns."""
    return ROLE_FACTORIES[role](**fields)


class ClientFactory(factory.django.DjangoModelFactory):
    """A client with a plausible profile; no stylist unless given one."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    city = "Chicago"
    time_zone = "America/Chicago"
    signup_date = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=400)
    )
    preferred_styles = factory.LazyFunction(lambda: ["casual", "classic"])
    size_top = "M"
    size_bottom = "8"
    size_shoe = "8.5"
    budget_band = BudgetBand.MODERATE
    marketing_consent = True
    stylist = None

    @factory.post_generation
    def risk_tier(obj: Client, create: bool, extracted: str | None, **kwargs) -> None:  # noqa: N805
        """``ClientFactory(risk_tier="at_risk")`` also gives the client a score."""
        if create and extracted and extracted != RiskTier.UNSCORED:
            # Scores are the scoring app's factories; they build on clients.
            from tests.scoring.factories import ClientScoreFactory

            ClientScoreFactory(client=obj, risk_tier=extracted, **kwargs)


class OrderFactory(factory.django.DjangoModelFactory):
    """A kept Fix: 5 items sent, 2 kept."""

    class Meta:
        model = Order

    client = factory.SubFactory(ClientFactory)
    ordered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    shipped_at = factory.LazyAttribute(lambda o: o.ordered_at + dt.timedelta(days=2))
    status = OrderStatus.KEPT
    items_sent = 5
    items_kept = 2
    kept_items = "denim jacket, striped tee"
    amount = Decimal("148.00")
    rating = 4
