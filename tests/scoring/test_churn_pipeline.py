"""The churn pipeline: features without leakage, monotone risk, model choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring.churn_features import (
    FEATURES,
    OrderHistory,
    churn_features_at,
    churn_labels,
)
from scoring.churn_pipeline import (
    MODELS,
    _percentile,
    _quantiles,
    churn_features,
    churn_fit,
    churn_predict,
    churn_reasons,
    lift_quality,
    roc_auc,
)
from scoring.churn_selection import auc_difference, churn_model_choose

AS_OF = 1000


def _book(n_clients: int = 1500, seed: int = 3) -> OrderHistory:
    """A synthetic book: each client orders on a cadence, some stop at random."""
    rng = np.random.default_rng(seed)
    rows = []
    for client in range(n_clients):
        start = int(rng.integers(0, 500))
        gap = float(rng.choice([14, 28, 56]))
        stop = start + int(rng.exponential(600))
        day = start
        kept_rate = rng.uniform(0.2, 1.0)
        while day <= AS_OF + 200 and day <= stop:
            sent = 5
            rows.append(
                (client, day, rng.gamma(2, 40), sent, rng.binomial(sent, kept_rate),
                 float(rng.integers(1, 6)))
            )  # fmt: skip
            day += max(1, int(rng.normal(gap, gap / 4)))
            kept_rate = max(0.0, kept_rate - 0.05 * (day > stop - 120))
    a = np.array(rows)
    return OrderHistory.build(
        client=a[:, 0].astype(int),
        day=a[:, 1].astype(int),
        amount=a[:, 2],
        items_sent=a[:, 3],
        items_kept=a[:, 4],
        rating=a[:, 5],
        n_clients=n_clients,
    )


BOOK = _book()


def test_training_rows_ignore_every_order_after_the_cutoff():
    """Shifting or altering every order after a cut-off leaves its rows unchanged."""
    cutoff = 700
    before = churn_features_at(history=BOOK, cutoff=cutoff)
    later = BOOK.day > cutoff
    rng = np.random.default_rng(0)
    altered = OrderHistory.build(
        client=BOOK.client,
        day=np.where(later, BOOK.day + rng.integers(1, 90, BOOK.day.size), BOOK.day),
        amount=np.where(later, BOOK.amount * 7, BOOK.amount),
        items_sent=np.where(later, 1, BOOK.items_sent),
        items_kept=np.where(later, 0, BOOK.items_kept),
        rating=np.where(later, 1, BOOK.rating),
        n_clients=BOOK.n_clients,
    )
    after = churn_features_at(history=altered, cutoff=cutoff)
    np.testing.assert_array_equal(before.client, after.client)
    np.testing.assert_array_equal(before.X, after.X)
    assert churn_labels(history=BOOK, rows=before, horizon=90).any()


def test_lift_quality_is_zero_for_random_and_one_for_perfect():
    """Lift quality: 1 for a perfect ranking, about 0 for a random one."""
    rng = np.random.default_rng(1)
    y = rng.random(5000) < 0.3
    assert lift_quality(target=y, score=y.astype(float)) == 1.0
    assert abs(lift_quality(target=y, score=rng.random(5000))) < 0.05
    assert abs(lift_quality(target=y, score=np.zeros(5000))) < 1e-9


FIT = churn_fit(history=BOOK, as_of=AS_OF, horizon=90, model="gbdt", min_clients=100)


def test_auto_never_ships_a_ranking_its_own_backtest_shows_worse():
    """auto ships the best AUC, or a simpler ranking within its noise."""
    fit = churn_fit(history=BOOK, as_of=AS_OF, horizon=90, min_clients=100)
    assert set(MODELS) <= set(fit.backtest)
    best = max(fit.backtest[name].auc for name in MODELS)
    shipped = fit.backtest[fit.model].auc
    assert shipped == best or "within the noise" in fit.reason
    assert best - shipped < 0.02
    assert fit.train_rows > 0
    assert fit.calibration_table


def test_backtest_trees_learn_only_from_labels_ended_by_the_held_out_cutoff():
    """Purged split: no training label window overlaps the held-out one, and
    the shipped trees learned from every cut-off."""
    held = FIT.cutoffs[-1]
    assert FIT.backtest_cutoffs
    assert all(c + FIT.train_horizon <= held for c in FIT.backtest_cutoffs)
    assert FIT.train_rows > sum(
        churn_features_at(history=BOOK, cutoff=c).client.size
        for c in FIT.backtest_cutoffs
    )


def test_simplest_ranking_within_the_noise_ships():
    """Two rankings of the same signal: the simpler ships even when the other
    edges ahead by chance; a clearly better one ships over it."""
    rng = np.random.default_rng(5)
    signal = rng.normal(size=3000)
    y = rng.random(3000) < 1 / (1 + np.exp(-signal))
    scores = {
        "baseline_recency": signal + rng.normal(0, 1.0, 3000),
        "gbdt": signal + rng.normal(0, 0.97, 3000),
    }
    aucs = {k: roc_auc(target=y, score=v) for k, v in scores.items()}
    assert aucs["gbdt"] > aucs["baseline_recency"]
    chosen, reason = churn_model_choose(target=y, scores=scores, aucs=aucs)
    assert chosen == "baseline_recency"
    assert "within the noise" in reason
    scores["gbdt"] = signal + rng.normal(0, 0.3, 3000)
    aucs["gbdt"] = roc_auc(target=y, score=scores["gbdt"])
    assert churn_model_choose(target=y, scores=scores, aucs=aucs)[0] == "gbdt"


def test_paired_auc_standard_error_matches_a_bootstrap():
    """DeLong's standard error of a paired AUC difference agrees with 400
    paired bootstrap resamples (within 15%), and the difference is exact."""
    rng = np.random.default_rng(9)
    signal = rng.normal(size=1500)
    y = rng.random(1500) < 1 / (1 + np.exp(-signal))
    a = np.round(signal + rng.normal(0, 0.8, 1500), 1)  # ties on purpose
    b = signal + rng.normal(0, 1.2, 1500)
    diff, se = auc_difference(target=y, score_a=a, score_b=b)
    assert diff == pytest.approx(
        roc_auc(target=y, score=a) - roc_auc(target=y, score=b)
    )
    boot = []
    for _ in range(400):
        i = rng.integers(0, y.size, y.size)
        boot.append(roc_auc(target=y[i], score=a[i]) - roc_auc(target=y[i], score=b[i]))
    assert se == pytest.approx(np.std(boot), rel=0.15)


def test_rank_sum_percentile_is_the_mid_rank_on_ties():
    """A value most clients share gets the middle of its run, as ranks do."""
    rng = np.random.default_rng(2)
    values = np.where(rng.random(4000) < 0.6, 0.0, rng.integers(1, 20, 4000))
    got = _percentile(values, _quantiles(values))
    exact = (stats.rankdata(values) - 0.5) / values.size
    assert np.abs(got - exact).max() < 0.02


def test_small_book_is_scored_by_bgnbd():
    """A book below the minimum size gets BG/NBD, with the reason said."""
    fit = churn_fit(history=BOOK, as_of=AS_OF, horizon=90, min_clients=10**6)
    assert fit.model == "bgnbd"
    assert "too small" in fit.reason


def test_trees_beat_the_baselines_on_a_book_with_signals():
    """The trees rank at least as well as recency alone on the held-out cut-off."""
    assert FIT.backtest["gbdt"].auc >= FIT.backtest["baseline_recency"].auc


def test_risk_is_calibrated_probability_with_reasons():
    """Shipped risk is a probability; mean near the actual churn of the holdout."""
    rows, _ = churn_features(history=BOOK, as_of=AS_OF, horizon=90, bgnbd=FIT.bgnbd)
    risk = churn_predict(FIT, rows)
    assert ((risk >= 0) & (risk <= 1)).all()
    actual = churn_labels(history=BOOK, rows=rows, horizon=90).mean()
    assert abs(risk.mean() - actual) < 0.05
    reasons = churn_reasons(FIT, rows, limit=50)
    assert any(reasons)
    assert all(isinstance(text, str) for r in reasons for text in r)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 1400), st.floats(0.0, 400.0))
def test_more_overdue_is_never_less_risk(i, extra_days):
    """More overdue, all else equal: risk is not lower."""
    rows, _ = churn_features(history=BOOK, as_of=AS_OF, horizon=90, bgnbd=FIT.bgnbd)
    i = i % rows.client.size
    one = rows.X[[i, i]].copy()
    since = FEATURES.index("days_since_last")
    overdue = FEATURES.index("overdue")
    typical = max(one[0, FEATURES.index("typical_gap")], 1.0)
    one[1, since] += extra_days
    one[1, overdue] += extra_days / typical if np.isfinite(typical) else 0
    risk = FIT.booster_load().predict(one, raw_score=True)
    assert risk[1] >= risk[0] - 1e-9
