"""The churn pipeline in rescoring: trained from the database, stored, reused."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import RiskTier
from scoring.models import ModelFit, ScoreSnapshot
from scoring.services.rescoring import clients_rescore, score_client_one
from tests.scoring.book import book_create

pytestmark = pytest.mark.django_db


def test_full_run_stores_the_trees_and_scores_with_them(trees):
    """A full run trains the trees, stores them on the fit, and every snapshot
    says it was scored by them; tiers follow the calibrated risk."""
    book_create(clients=400)
    now = timezone.now()
    run = clients_rescore(as_of=now)
    fit = ModelFit.objects.get()
    assert fit.churn_model == "gbdt"
    assert fit.churn_booster.startswith("tree")
    details = fit.churn_details
    assert {"gbdt", "bgnbd", "baseline_recency", "baseline_rfm"} <= set(
        details["backtest"]
    )
    assert details["train_rows"] > 0
    assert details["calibration"]
    snapshots = ScoreSnapshot.objects.filter(run=run)
    assert set(snapshots.values_list("scored_by", flat=True)) == {"gbdt"}
    at_risk = snapshots.filter(
        risk_tier=RiskTier.AT_RISK, days_since_last_order__lt=365
    )
    for snapshot in at_risk:
        assert snapshot.churn_risk >= 0.70
        assert snapshot.churn_reasons, snapshot
    assert "train" in run.phase_seconds


def test_single_client_rescoring_uses_the_stored_model(trees):
    """One client rescored between runs gets the full run's risk from the stored
    trees (no refit), at the same date."""
    book_create(clients=400)
    now = timezone.now()
    run = clients_rescore(as_of=now)
    snapshot = (
        ScoreSnapshot.objects.filter(run=run, churn_risk__gte=0.45)
        .order_by("client_id")
        .first()
    )
    again = score_client_one(client_id=snapshot.client_id, as_of=now)
    assert ModelFit.objects.count() == 1
    assert again.scored_by == "gbdt"
    assert again.churn_risk == pytest.approx(snapshot.churn_risk, abs=0.02)
    assert again.churn_reasons


def test_small_book_is_scored_by_bgnbd(settings):
    """Below SCORING_GBDT_MIN_CLIENTS the run scores with BG/NBD and says so."""
    settings.SCORING_GBDT_MIN_CLIENTS = 10_000
    book_create(clients=120)
    run = clients_rescore()
    assert run.model_fit.churn_model == "bgnbd"
    assert "too small" in run.model_fit.churn_details["reason"]
    assert set(
        ScoreSnapshot.objects.filter(run=run).values_list("scored_by", flat=True)
    ) == {"bgnbd"}


def test_fit_admin_page_shows_prediction_quality_and_client_page_the_reasons(
    trees, admin_client
):
    """The fit's page says how good its churn ranking is against the baselines;
    the client page says why the client is at risk."""
    book_create(clients=400)
    run = clients_rescore()
    fit = run.model_fit
    page = admin_client.get(reverse("admin:scoring_modelfit_change", args=[fit.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Prediction quality:" in text
    assert "than days-since-last-order by" in text
    assert "<svg" in text
    snapshot = ScoreSnapshot.objects.filter(run=run).exclude(churn_reasons=[]).first()
    page = admin_client.get(
        reverse("admin:customers_client_change", args=[snapshot.client_id])
    )
    assert snapshot.churn_reasons[0] in page.content.decode()


def test_demo_book_trees_beat_every_baseline_by_a_clear_margin():
    """The demo book's lapses are foreshadowed (keep rate, ratings, a returned
    Fix, slipping cadence): its own backtest ships the trees, well ahead."""
    from customers.services.demo_seed import demo_seed

    demo_seed(clients=1500, seed=1)
    run = clients_rescore()
    fit = run.model_fit
    backtest = fit.churn_details["backtest"]
    assert fit.churn_model == "gbdt"
    for other in ("bgnbd", "baseline_recency", "baseline_rfm"):
        assert backtest["gbdt"]["auc"] >= backtest[other]["auc"] + 0.05, other
