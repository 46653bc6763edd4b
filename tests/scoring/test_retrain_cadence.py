"""The nightly run retrains the churn ranking only when the stored one is old."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from scoring.models import ModelFit, ScoreSnapshot
from scoring.services.rescoring import clients_rescore
from tests.scoring.book import book_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def trees(trees, settings) -> None:
    """The trees (tests/scoring/conftest.py), retrained every 14 days."""
    settings.SCORING_MODEL_RETRAIN_DAYS = 14


def _fits() -> list[ModelFit]:
    return list(ModelFit.objects.order_by("fitted_at", "id"))


def test_a_run_within_the_retrain_days_scores_with_the_stored_trees(trees):
    """The next night's fit carries the same booster, marked as reused, and
    its snapshots are scored by it; 14 days after training it retrains."""
    book_create(clients=300)
    now = timezone.now()
    clients_rescore(as_of=now - dt.timedelta(days=1))
    run = clients_rescore(as_of=now)
    first, second = _fits()
    assert first.churn_details["trained_at"]
    assert second.churn_booster == first.churn_booster
    assert second.churn_details["reused_from_fit"] == first.pk
    assert second.churn_details["trained_at"] == first.churn_details["trained_at"]
    assert set(
        ScoreSnapshot.objects.filter(run=run).values_list("scored_by", flat=True)
    ) == {"gbdt"}

    clients_rescore(as_of=now + dt.timedelta(days=12))  # 13 days after training
    assert "reused_from_fit" in _fits()[-1].churn_details
    clients_rescore(as_of=now + dt.timedelta(days=13))  # 14 days after
    latest = _fits()[-1]
    assert "reused_from_fit" not in latest.churn_details
    assert latest.churn_details["trained_at"] != first.churn_details["trained_at"]


def test_zero_retrain_days_or_another_model_rule_retrains(trees, settings):
    """0 retrains every run; so does a changed SCORING_CHURN_MODEL."""
    book_create(clients=300)
    now = timezone.now()
    settings.SCORING_MODEL_RETRAIN_DAYS = 0
    clients_rescore(as_of=now - dt.timedelta(days=2))
    clients_rescore(as_of=now - dt.timedelta(days=1))
    assert "reused_from_fit" not in _fits()[-1].churn_details
    settings.SCORING_MODEL_RETRAIN_DAYS = 14
    settings.SCORING_CHURN_MODEL = "auto"
    clients_rescore(as_of=now)
    assert "reused_from_fit" not in _fits()[-1].churn_details
