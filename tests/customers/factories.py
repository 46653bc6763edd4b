"""factory_boy factories for the client book: users by role, clients, orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import BudgetBand, Client, Order, OrderStatus, RiskTier
from customers.roles import MANAGERS, REVIEWERS, STYLISTS
from scoring.models import ClientScore, ScoreSnapshot, ScoringRun

PASSWORD = "correct-horse-battery-staple"  # test-only


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
            ClientScoreFactory(client=obj, risk_tier=extracted, **kwargs)


class ClientScoreFactory(factory.django.DjangoModelFactory):
    """A client's current score (what a scoring run leaves behind)."""

    class Meta:
        model = ClientScore

    client = factory.SubFactory(ClientFactory)
    risk_tier = RiskTier.HEALTHY
    engagement_score = 60
    churn_risk = 0.3
    p_alive = 0.8
    expected_orders = 1.2
    clv = Decimal("250.00")
    scored_at = factory.LazyFunction(timezone.now)


class ScoringRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringRun

    trigger = ScoringRun.Trigger.NIGHTLY
    n_clients = 1


class ScoreSnapshotFactory(factory.django.DjangoModelFactory):
    """An at-risk snapshot (saved with ``save()``, so its post_save fires)."""

    class Meta:
        model = ScoreSnapshot

    client = factory.SubFactory(ClientFactory)
    run = factory.SubFactory(ScoringRunFactory)
    scored_at = factory.LazyFunction(timezone.now)
    previous_tier = RiskTier.COOLING
    risk_tier = RiskTier.AT_RISK
    engagement_score = 22
    recency_component = 10.0
    frequency_component = 30.0
    orders = 4
    repeat_orders = 3
    days_since_last_order = 140
    tenure_days = 400
    average_order_value = Decimal("120.00")
    p_alive = 0.2
    expected_orders = 0.3
    churn_risk = 0.8
    clv = Decimal("150.00")


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
