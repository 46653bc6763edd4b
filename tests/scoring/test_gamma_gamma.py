"""Gamma-Gamma spend model and CLV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.bgnbd import BgNbdParams
from scoring.gamma_gamma import (
    GammaGammaParams,
    clv,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
)
from scoring.transactions import rfm_summary_build, transactions_read_csv
from tests.support.scoring_formulas import (
    bgnbd_expected_purchases,
    gamma_gamma_log_likelihood,
)

CDNOW_CSV = (
    Path(__file__).resolve().parents[1] / "data/cdnow/cdnow_sample_transactions.csv"
)
GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, n=0)
BG = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n=0)


def test_cdnow_fit_reproduces_published_estimates():
    """The CDNOW fit matches Fader & Hardie (2013) within 1%.

    Source: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value",
    brucehardie.com/notes/025: p = 6.25, q = 3.74, gamma = 15.44 on the 946
    CDNOW customers with repeat purchases in the 39-week calibration period
    (the same figures CLVTools' correctness tests check).
    """
    summary = rfm_summary_build(
        transactions=transactions_read_csv(path=CDNOW_CSV),
        calibration_end=dt.date(1997, 9, 30),
        time_unit="weeks",
    )
    params = gamma_gamma_fit(frequency=summary.frequency, monetary=summary.monetary)
    assert params.n == 946
    assert params.p == pytest.approx(6.25, rel=0.01)
    assert params.q == pytest.approx(3.74, rel=0.01)
    assert params.gamma == pytest.approx(15.44, rel=0.01)


def test_fit_recovers_simulation_parameters():
    """Spend drawn from known p, q, gamma fits back to them."""
    rng = np.random.default_rng(5)
    n = 200_000
    x = rng.integers(1, 10, n).astype(float)
    nu = rng.gamma(4.0, 1.0 / 20.0, n)
    monetary = rng.gamma(5.0 * x, 1.0 / nu) / x
    params = gamma_gamma_fit(frequency=x, monetary=monetary)
    assert params.p == pytest.approx(5.0, rel=0.05)
    assert params.q == pytest.approx(4.0, rel=0.05)
    assert params.gamma == pytest.approx(20.0, rel=0.08)


def test_expected_spend_shrinks_toward_population_mean():
    """Few repeats pull spend to the population mean; many keep the own mean."""
    population = GG.p * GG.gamma / (GG.q - 1)
    spend = gamma_gamma_expected_spend(
        params=GG,
        frequency=np.array([0.0, 1.0, 1000.0]),
        monetary=np.array([0.0, 100.0, 100.0]),
    )
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < 100.0
    assert spend[2] == pytest.approx(100.0, rel=0.01)


def test_expected_spend_is_the_papers_weighted_average():
    """E[M] = w * population mean + (1 - w) * m_x with w = (q - 1)/(p x + q - 1)."""
    x, m = np.array([3.0]), np.array([42.0])
    weight = (GG.q - 1) / (GG.p * x + GG.q - 1)
    expected = weight * GG.p * GG.gamma / (GG.q - 1) + (1 - weight) * m
    spend = gamma_gamma_expected_spend(params=GG, frequency=x, monetary=m)
    np.testing.assert_allclose(spend, expected, rtol=1e-12)


def test_expected_spend_without_population_mean_is_nan():
    """With q <= 1 a customer with no repeats has no finite expected spend."""
    params = GammaGammaParams(p=2.0, q=0.8, gamma=10.0, log_likelihood=0.0, n=0)
    spend = gamma_gamma_expected_spend(
        params=params, frequency=np.array([0.0, 2.0]), monetary=np.array([0.0, 50.0])
    )
    assert np.isnan(spend[0])
    assert np.isfinite(spend[1])


def test_undiscounted_clv_is_purchases_times_spend():
    """With no discounting CLV = expected purchases over 12 months x spend."""
    x, t_x, t_cal = (
        np.array([0.0, 2.0, 7.0]),
        np.array([0.0, 30.0, 35.0]),
        np.full(3, 38.0),
    )
    spend = np.array([30.0, 40.0, 50.0])
    per_month = 365.25 / 12 / 7
    value = clv(
        params=BG,
        frequency=x,
        recency=t_x,
        T=t_cal,
        expected_spend=spend,
        units_per_month=per_month,
    )
    purchases = bgnbd_expected_purchases(
        params=BG, frequency=x, recency=t_x, T=t_cal, horizon=12 * per_month
    )
    np.testing.assert_allclose(value, purchases * spend, rtol=1e-10)


def test_discounting_lowers_clv_monotonically():
    """A higher monthly discount rate gives a lower, still positive CLV."""
    args = {
        "params": BG,
        "frequency": np.array([3.0]),
        "recency": np.array([30.0]),
        "T": np.array([38.0]),
        "expected_spend": np.array([40.0]),
        "units_per_month": 4.35,
    }
    values = [clv(**args, monthly_discount_rate=d)[0] for d in (0.0, 0.01, 0.05)]
    assert values[0] > values[1] > values[2] > 0


positive = st.floats(min_value=1e-4, max_value=1e4)


@settings(max_examples=300, deadline=None)
@given(
    p=positive,
    q=positive,
    gamma=positive,
    x=st.integers(min_value=1, max_value=500),
    m=st.floats(min_value=1e-2, max_value=1e5),
)
def test_log_likelihood_is_finite_for_extreme_inputs(p, q, gamma, x, m):
    """The spend log-density stays finite across the parameter range."""
    ll = gamma_gamma_log_likelihood(
        p=p, q=q, gamma=gamma, frequency=np.array([float(x)]), monetary=np.array([m])
    )
    assert np.isfinite(ll).all()
