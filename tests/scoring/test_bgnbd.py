"""BG/NBD fit and predictions: published estimates, math checks, properties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special

from scoring.bgnbd import (
    BgNbdParams,
    _compress,
    _Objective,
    bgnbd_fit,
    bgnbd_p_alive,
    bgnbd_predict,
    bgnbd_simulate,
)
from scoring.transactions import rfm_summary_build, transactions_read_csv
from tests.support.scoring_formulas import (
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
)

CDNOW_CSV = (
    Path(__file__).resolve().parents[1] / "data/cdnow/cdnow_sample_transactions.csv"
)
FHL = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n=0)


@pytest.fixture(scope="module")
def cdnow():
    """Return the CDNOW calibration summary in weeks with the 39-week holdout."""
    return rfm_summary_build(
        transactions=transactions_read_csv(path=CDNOW_CSV),
        calibration_end=dt.date(1997, 9, 30),
        time_unit="weeks",
        holdout_horizon=39,
    )


def _fit(summary):
    return bgnbd_fit(frequency=summary.frequency, recency=summary.recency, T=summary.T)


def test_cdnow_fit_reproduces_published_estimates(cdnow):
    """The CDNOW fit matches Fader, Hardie & Lee (2005) within 1%.

    Source: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way:
    An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284,
    section 5: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    (the same figures CLVTools' correctness tests check). T runs from the
    first purchase to 1997-09-30 at day granularity (Jan 1 -> 38.86 weeks);
    counting the end day as well gives a = 0.814, 2.7% off.
    """
    params = _fit(cdnow)
    assert params.r == pytest.approx(0.243, rel=0.01)
    assert params.alpha == pytest.approx(4.414, rel=0.01)
    assert params.a == pytest.approx(0.793, rel=0.01)
    assert params.b == pytest.approx(2.426, rel=0.01)
    assert params.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert params.n == 2357


def test_cdnow_conditional_expectation_matches_paper_example():
    """Customer (x=2, t_x=30.43, T=38.86) expects 1.226 purchases in 39 weeks.

    Fader, Hardie & Lee (2005), section 5 worked example with the published
    parameters.
    """
    expected = bgnbd_expected_purchases(
        params=FHL,
        frequency=np.array([2.0]),
        recency=np.array([30.43]),
        T=np.array([38.86]),
        horizon=39.0,
    )
    assert expected[0] == pytest.approx(1.226, abs=0.001)


def test_fit_log_likelihood_is_the_sum_over_customers(cdnow):
    """The reported LL equals the per-customer log-likelihoods summed."""
    params = _fit(cdnow)
    per_customer = bgnbd_log_likelihood(
        r=params.r,
        alpha=params.alpha,
        a=params.a,
        b=params.b,
        frequency=cdnow.frequency,
        recency=cdnow.recency,
        T=cdnow.T,
    )
    assert per_customer.sum() == pytest.approx(params.log_likelihood, rel=1e-10)


def test_log_likelihood_matches_direct_formula():
    """The log-space likelihood equals FHL eq. 6 evaluated naively."""
    r, alpha, a, b = 0.7, 3.0, 1.3, 2.2
    x = np.array([0.0, 1.0, 4.0, 10.0])
    t_x = np.array([0.0, 5.0, 20.0, 25.0])
    t_cal = np.array([10.0, 30.0, 30.0, 26.0])
    beta = special.beta
    gamma = special.gamma
    a1 = beta(a, b + x) / beta(a, b)
    common = gamma(r + x) * alpha**r / gamma(r)
    term1 = a1 * common / (alpha + t_cal) ** (r + x)
    a2 = np.where(x > 0, beta(a + 1, b + np.maximum(x, 1) - 1) / beta(a, b), 0.0)
    term2 = a2 * common / (alpha + t_x) ** (r + x)
    naive = np.log(term1 + term2)
    ours = bgnbd_log_likelihood(
        r=r, alpha=alpha, a=a, b=b, frequency=x, recency=t_x, T=t_cal
    )
    np.testing.assert_allclose(ours, naive, rtol=1e-12)


def test_analytic_gradient_matches_finite_differences(cdnow):
    """The optimiser's gradient agrees with numerical differentiation."""
    objective = _Objective(_compress(cdnow.frequency, cdnow.recency, cdnow.T))
    for theta in (np.log([0.5, 3.0, 1.2, 2.0]), np.log([2.0, 0.5, 0.2, 9.0])):
        analytic = objective(theta)[1]
        numeric = optimize.approx_fprime(theta, lambda t: objective(t)[0], 1e-7)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


def test_compression_keeps_the_likelihood():
    """Compressing identical rows with counts leaves the mean LL unchanged."""
    rng = np.random.default_rng(3)
    t_cal = rng.integers(1, 50, 5000).astype(float)
    sample = bgnbd_simulate(r=0.5, alpha=5.0, a=0.9, b=2.0, T=t_cal, rng=rng)
    recency = np.floor(sample.recency)
    objective = _Objective(_compress(sample.frequency, recency, t_cal))
    theta = np.log([0.5, 5.0, 0.9, 2.0])
    direct = bgnbd_log_likelihood(
        r=0.5,
        alpha=5.0,
        a=0.9,
        b=2.0,
        frequency=sample.frequency,
        recency=recency,
        T=t_cal,
    )
    assert objective(theta)[0] == pytest.approx(-direct.mean(), rel=1e-12)
    assert objective.data.weight.sum() == 5000


def test_fit_recovers_simulation_parameters():
    """Fitting data drawn from known parameters gets them back (with warm start)."""
    rng = np.random.default_rng(11)
    true = {"r": 0.6, "alpha": 25.0, "a": 0.7, "b": 3.0}
    t_cal = rng.integers(30, 500, 150_000).astype(float)
    sample = bgnbd_simulate(**true, T=t_cal, rng=rng)
    params = bgnbd_fit(frequency=sample.frequency, recency=sample.recency, T=t_cal)
    assert params.r == pytest.approx(true["r"], rel=0.05)
    assert params.alpha == pytest.approx(true["alpha"], rel=0.07)
    assert params.a == pytest.approx(true["a"], rel=0.1)
    assert params.b == pytest.approx(true["b"], rel=0.15)


def test_fit_rejects_recency_after_t():
    """Recency beyond T is a data error, not something to fit."""
    with pytest.raises(ValueError, match="recency"):
        bgnbd_fit(frequency=np.array([1.0]), recency=np.array([5.0]), T=np.array([4.0]))


@pytest.mark.parametrize(
    ("params", "x", "t_x", "t_cal", "t"),
    [
        (FHL, 2.0, 30.43, 38.86, 39.0),
        (FHL, 0.0, 0.0, 38.86, 39.0),
        (FHL, 500.0, 4000.0, 5000.0, 365.0),
        (BgNbdParams(0.3, 40.0, 2.5, 8.0, 0.0, 0), 3.0, 100.0, 700.0, 90.0),
        (BgNbdParams(2.0, 1.0, 1.0 + 1e-9, 1.0, 0.0, 0), 5.0, 10.0, 12.0, 30.0),
        (BgNbdParams(0.05, 0.1, 0.2, 0.3, 0.0, 0), 40.0, 3000.0, 5000.0, 5000.0),
        (BgNbdParams(5.0, 2.0, 50.0, 0.5, 0.0, 0), 0.0, 0.0, 1.0, 1000.0),
    ],
)
def test_expected_purchases_match_numerical_integration(params, x, t_x, t_cal, t):
    """The 2F1 closed form agrees with integrating over the dropout posterior.

    Given alive, E[purchases in t] = E_p[(1 - (1 + p t / (alpha + T))^-(r+x)) / p]
    with p ~ Beta(a, b + x); quad's algebraic weight handles the endpoints.
    """
    s = params.r + x
    k = t / (params.alpha + t_cal)

    def integrand(p: float) -> float:
        if p == 0.0:
            return s * k  # the limit as p -> 0
        return -np.expm1(-s * np.log1p(p * k)) / p

    value, _ = integrate.quad(
        integrand,
        0.0,
        1.0,
        weight="alg",
        wvar=(params.a - 1.0, params.b + x - 1.0),
        epsabs=0.0,
        epsrel=1e-10,
        limit=200,
    )
    if_alive = value / np.exp(special.betaln(params.a, params.b + x))
    args = {
        "frequency": np.array([x]),
        "recency": np.array([t_x]),
        "T": np.array([t_cal]),
    }
    p_alive = bgnbd_p_alive(params=params, **args)
    ours = bgnbd_expected_purchases(params=params, horizon=t, **args)
    np.testing.assert_allclose(ours, p_alive * if_alive, rtol=1e-7)


@pytest.fixture(scope="module")
def simulated_future():
    """Simulate customers with a 60-day future window, known parameters."""
    rng = np.random.default_rng(7)
    params = BgNbdParams(r=0.6, alpha=20.0, a=0.7, b=2.0, log_likelihood=0.0, n=0)
    t_cal = rng.uniform(30.0, 400.0, 300_000)
    sample = bgnbd_simulate(
        r=params.r,
        alpha=params.alpha,
        a=params.a,
        b=params.b,
        T=t_cal,
        horizon=60.0,
        rng=rng,
    )
    prediction = bgnbd_predict(
        params=params,
        frequency=sample.frequency,
        recency=sample.recency,
        T=t_cal,
        horizon=60.0,
    )
    return sample, prediction


def _groups(sample) -> list[np.ndarray]:
    """Partition customers by their observed history (x band x recency gap tercile)."""
    x = sample.frequency
    gap = sample.T - sample.recency
    groups = []
    for lo, hi in ((0, 0), (1, 1), (2, 3), (4, 8), (9, np.inf)):
        in_x = (x >= lo) & (x <= hi)
        cuts = np.quantile(gap[in_x], [1 / 3, 2 / 3])
        bands = np.digitize(gap[in_x], cuts)
        idx = np.flatnonzero(in_x)
        groups += [idx[bands == band] for band in range(3)]
    return [g for g in groups if g.size >= 2000]


def test_churn_risk_matches_monte_carlo(simulated_future):
    """P(no purchase in the window) matches simulated outcomes in every group.

    Averaging the conditional probability over any group defined by observed
    history must give that group's empirical rate, so this is exact up to
    sampling noise.
    """
    sample, prediction = simulated_future
    no_purchase = sample.holdout_purchases == 0
    for idx in _groups(sample):
        rate = no_purchase[idx].mean()
        se = np.sqrt(max(rate * (1 - rate), 1e-4) / idx.size)
        assert prediction.churn_risk[idx].mean() == pytest.approx(
            rate, abs=4 * se + 2e-3
        )


def test_expected_purchases_match_monte_carlo(simulated_future):
    """Expected purchases in the window match simulated counts in every group."""
    sample, prediction = simulated_future
    for idx in _groups(sample):
        counts = sample.holdout_purchases[idx]
        se = counts.std() / np.sqrt(idx.size)
        expected = prediction.expected_purchases[idx].mean()
        assert expected == pytest.approx(counts.mean(), abs=4 * se + 2e-3)


def test_one_time_buyers_are_alive():
    """With no repeat purchase there was no chance to drop out: P(alive) = 1."""
    p_alive = bgnbd_p_alive(
        params=FHL,
        frequency=np.zeros(3),
        recency=np.zeros(3),
        T=np.array([1.0, 10, 1e3]),
    )
    assert p_alive.tolist() == [1.0, 1.0, 1.0]


def test_next_order_is_median_wait_if_alive():
    """Half of alive customers like this one would have ordered by then."""
    x, t_cal = np.array([3.0]), np.array([20.0])
    pred = bgnbd_predict(
        params=FHL, frequency=x, recency=np.array([15.0]), T=t_cal, horizon=5
    )
    wait = pred.expected_next_order_in[0]
    # Given alive, P(no purchase within w) = ((alpha+T)/(alpha+T+w))^(r+x).
    survival = ((FHL.alpha + 20.0) / (FHL.alpha + 20.0 + wait)) ** (FHL.r + 3.0)
    assert survival == pytest.approx(0.5, rel=1e-9)


positive = st.floats(min_value=1e-4, max_value=1e4)
params_strategy = st.builds(
    lambda r, alpha, a, b: BgNbdParams(r, alpha, a, b, 0.0, 0),
    positive,
    positive,
    positive,
    positive,
)


@st.composite
def histories(draw):
    """Draw (x, t_x, T) with x up to 500 and T up to 5000 days."""
    t_cal = draw(st.floats(min_value=0.0, max_value=5000.0))
    x = draw(st.integers(min_value=0, max_value=500))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=t_cal))
    return float(x), t_x, t_cal


@settings(max_examples=300, deadline=None)
@given(params=params_strategy, history=histories())
def test_log_likelihood_is_finite_for_extreme_inputs(params, history):
    """The log-likelihood stays finite across the whole parameter range."""
    x, t_x, t_cal = history
    ll = bgnbd_log_likelihood(
        r=params.r,
        alpha=params.alpha,
        a=params.a,
        b=params.b,
        frequency=np.array([x]),
        recency=np.array([t_x]),
        T=np.array([t_cal]),
    )
    assert np.isfinite(ll).all()


@settings(max_examples=300, deadline=None)
@given(
    params=params_strategy,
    history=histories(),
    horizon=st.floats(min_value=1e-3, max_value=5000.0),
)
def test_predictions_are_finite_and_in_range(params, history, horizon):
    """P(alive) and churn risk lie in [0, 1]; expected purchases are finite >= 0."""
    x, t_x, t_cal = history
    pred = bgnbd_predict(
        params=params,
        frequency=np.array([x]),
        recency=np.array([t_x]),
        T=np.array([t_cal]),
        horizon=horizon,
    )
    assert 0.0 <= pred.p_alive[0] <= 1.0
    assert 0.0 <= pred.churn_risk[0] <= 1.0
    assert np.isfinite(pred.expected_purchases[0])
    assert pred.expected_purchases[0] >= 0.0
    assert pred.expected_next_order_in[0] >= 0.0
    assert not np.isnan(pred.expected_next_order_in[0])


@settings(max_examples=300, deadline=None)
@given(
    params=params_strategy,
    x=st.integers(min_value=1, max_value=500),
    t_cal=st.floats(min_value=1.0, max_value=5000.0),
    fractions=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    horizon=st.floats(min_value=1e-2, max_value=5000.0),
)
def test_more_recent_purchase_means_lower_churn_risk(
    params, x, t_cal, fractions, horizon
):
    """With x and T fixed, a later last purchase raises P(alive), lowers churn risk."""
    early, late = sorted(fractions)
    pred = bgnbd_predict(
        params=params,
        frequency=np.array([x, x], dtype=float),
        recency=np.array([early, late]) * t_cal,
        T=np.array([t_cal, t_cal]),
        horizon=horizon,
    )
    assert pred.p_alive[1] >= pred.p_alive[0]
    assert pred.churn_risk[1] <= pred.churn_risk[0] + 1e-12


@settings(max_examples=300, deadline=None)
@given(
    params=params_strategy,
    history=histories(),
    horizons=st.tuples(
        st.floats(min_value=0.0, max_value=5000.0),
        st.floats(min_value=0.0, max_value=5000.0),
    ),
)
def test_expected_purchases_grow_with_horizon(params, history, horizons):
    """A longer window never expects fewer purchases."""
    x, t_x, t_cal = history
    short, long = sorted(horizons)
    args = {
        "frequency": np.array([x]),
        "recency": np.array([t_x]),
        "T": np.array([t_cal]),
    }
    e_short = bgnbd_expected_purchases(params=params, horizon=short, **args)[0]
    e_long = bgnbd_expected_purchases(params=params, horizon=long, **args)[0]
    assert e_long >= e_short * (1 - 1e-9) - 1e-12
