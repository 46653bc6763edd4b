"""factory_boy factories for scoring: current scores, runs and snapshots."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from customers.models import RiskTier
from scoring.models import ClientScore, ScoreSnapshot, ScoringRun
from tests.customers.factories import ClientFactory


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
