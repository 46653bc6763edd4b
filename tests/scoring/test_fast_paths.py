"""The fast scoring paths equal the straightforward per-customer formulas.

Fits compress rows and sum per distinct value, predictions evaluate the 2F1
once per distinct (x, T) pair, CLV once per pair for all months: each is
checked here against a row-by-row evaluation on random books with one-time
buyers, hundreds of orders, long tenures, whole days and fractional weeks.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, special

from scoring.bgnbd import (
    BgNbdParams,
    _compress,
    _expected_if_alive,
    _Objective,
    bgnbd_expected_if_alive_table,
    bgnbd_p_alive,
    bgnbd_predict,
)
from scoring.distinct import distinct_rows, distinct_values, small_int_values
from scoring.engagement_reference import _percentile, _percentile_rows
from scoring.gamma_gamma import (
    _SpendObjective,
    clv,
    gamma_gamma_fit,
)
from tests.support.scoring_formulas import (
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    gamma_gamma_log_likelihood,
)

PARAMS = [
    BgNbdParams(0.3, 30.0, 0.6, 3.0, 0.0, 0),
    BgNbdParams(2.955, 146.1, 0.0198, 95.1, 0.0, 0),
    BgNbdParams(0.243, 4.414, 0.793, 2.426, 0.0, 0),
    BgNbdParams(5.0, 2.0, 50.0, 0.5, 0.0, 0),
    BgNbdParams(2.0, 1.0, 1.0 + 1e-9, 1.0, 0.0, 0),  # quadrature fallback
]


def _book(seed: int, n: int = 4000, *, whole_days: bool = True):
    """Return (x, t_x, T): one-time buyers, up to 600 orders, tenure to 5000."""
    rng = np.random.default_rng(seed)
    t_cal = rng.integers(0, 5001, n).astype(float)
    x = np.where(
        rng.random(n) < 0.3, 0.0, rng.geometric(rng.uniform(0.005, 0.5, n))
    ).clip(0, 600)
    t_x = np.where(x > 0, rng.uniform(0.0, 1.0, n) * t_cal, 0.0)
    if whole_days:
        t_x = np.floor(t_x)
    else:
        t_cal, t_x = t_cal / 7.0, t_x / 7.0
    # Repeat a block of rows so compression has duplicates to merge.
    return (np.concatenate([v, v[: n // 4]]) for v in (x, t_x, t_cal))


def _gradient_per_row(theta, x, t_x, t_cal):
    """Return the mean-LL gradient in log-params, evaluated customer by customer."""
    r, alpha, a, b = np.exp(theta)
    rep = x > 0
    xs = np.where(rep, x, 1.0)
    s = r + x
    l1 = special.betaln(a, b + x) - s * np.log(alpha + t_cal)
    l2 = np.where(
        rep, special.betaln(a + 1.0, b + xs - 1.0) - s * np.log(alpha + t_x), -np.inf
    )
    w2 = special.expit(l2 - l1)
    w1 = 1.0 - w2
    psi_abx = special.digamma(a + b + x)
    d_r = special.digamma(s) - special.digamma(r) + np.log(alpha)
    d_r -= w1 * np.log(alpha + t_cal) + w2 * np.log(alpha + t_x)
    d_alpha = r / alpha - w1 * s / (alpha + t_cal) - w2 * s / (alpha + t_x)
    d_a = special.digamma(a + b) - special.digamma(a)
    d_a += w1 * (special.digamma(a) - psi_abx)
    d_a += w2 * np.where(rep, special.digamma(a + 1.0) - psi_abx, 0.0)
    d_b = special.digamma(a + b) - special.digamma(b)
    d_b += w1 * (special.digamma(b + x) - psi_abx)
    d_b += w2 * np.where(rep, special.digamma(b + xs - 1.0) - psi_abx, 0.0)
    per_row = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return -per_row.mean(axis=1)


@pytest.mark.parametrize("whole_days", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compressed_likelihood_and_gradient_equal_per_row(seed, whole_days):
    """The compressed objective equals the per-customer LL and gradient."""
    x, t_x, t_cal = _book(seed, whole_days=whole_days)
    objective = _Objective(_compress(x, t_x, t_cal))
    assert objective.data.weight.sum() == x.size
    rng = np.random.default_rng(seed)
    for theta in [np.log([0.3, 30.0, 0.6, 3.0]), *rng.uniform(-4, 4, (4, 4))]:
        r, alpha, a, b = np.exp(theta)
        direct = bgnbd_log_likelihood(
            r=r, alpha=alpha, a=a, b=b, frequency=x, recency=t_x, T=t_cal
        )
        value, grad = objective(theta)
        assert value == pytest.approx(-direct.mean(), rel=1e-12)
        expected = _gradient_per_row(theta, x, t_x, t_cal)
        np.testing.assert_allclose(grad, expected, rtol=1e-8, atol=1e-10)


def test_compressed_objective_without_repeat_buyers():
    """A book of one-time buyers only has no repeat rows to loop over."""
    t_cal = np.array([1.0, 5.0, 5.0, 40.0])
    zeros = np.zeros(4)
    objective = _Objective(_compress(zeros, zeros, t_cal))
    theta = np.log([0.5, 3.0, 1.0, 2.0])
    direct = bgnbd_log_likelihood(
        r=0.5, alpha=3.0, a=1.0, b=2.0, frequency=zeros, recency=zeros, T=t_cal
    )
    value, grad = objective(theta)
    assert value == pytest.approx(-direct.mean(), rel=1e-12)
    np.testing.assert_allclose(
        grad, _gradient_per_row(theta, zeros, zeros, t_cal), rtol=1e-10, atol=1e-14
    )


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("whole_days", [True, False])
def test_expected_purchases_by_pair_equal_per_row(params, whole_days):
    """Gathering per distinct (x, T) pair gives the per-row 2F1 exactly."""
    x, t_x, t_cal = _book(7, n=3000, whole_days=whole_days)
    for horizon in (0.0, 13.0, 90.0, 3000.0):
        per_row = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
        per_row = per_row * _expected_if_alive(
            params=params, x=x, t_cal=t_cal, t=np.full(x.size, horizon)
        )
        fast = bgnbd_expected_purchases(
            params=params, frequency=x, recency=t_x, T=t_cal, horizon=horizon
        )
        np.testing.assert_allclose(fast, per_row, rtol=1e-14, atol=0.0)


def test_expected_purchases_with_a_horizon_per_customer():
    """An array of horizons is still evaluated customer by customer."""
    x, t_x, t_cal = _book(8, n=500)
    horizon = np.linspace(0.0, 400.0, x.size)
    fast = bgnbd_expected_purchases(
        params=PARAMS[0], frequency=x, recency=t_x, T=t_cal, horizon=horizon
    )
    one_by_one = [
        bgnbd_expected_purchases(
            params=PARAMS[0],
            frequency=x[i : i + 1],
            recency=t_x[i : i + 1],
            T=t_cal[i : i + 1],
            horizon=float(horizon[i]),
        )[0]
        for i in range(0, x.size, 37)
    ]
    np.testing.assert_allclose(fast[::37], one_by_one, rtol=1e-14)


@pytest.mark.parametrize("params", PARAMS)
def test_predict_equals_per_row_formulas(params):
    """P(alive), expected purchases, churn risk and next order match per row."""
    x, t_x, t_cal = _book(9, n=3000)
    horizon = 90.0
    pred = bgnbd_predict(
        params=params, frequency=x, recency=t_x, T=t_cal, horizon=horizon
    )
    p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
    s = params.r + x
    if_alive = _expected_if_alive(
        params=params, x=x, t_cal=t_cal, t=np.full(x.size, horizon)
    )
    p_buy = -np.expm1(-s * np.log1p(horizon / (params.alpha + t_cal)))
    with np.errstate(over="ignore"):
        next_in = (params.alpha + t_cal) * np.expm1(np.log(2.0) / s)
    np.testing.assert_array_equal(pred.p_alive, p_alive)
    np.testing.assert_allclose(pred.expected_purchases, p_alive * if_alive, rtol=1e-14)
    np.testing.assert_allclose(
        pred.churn_risk, np.clip(1.0 - p_alive * p_buy, 0.0, 1.0), rtol=1e-14
    )
    np.testing.assert_array_equal(pred.expected_next_order_in, next_in)


def test_expected_if_alive_table_rows_map_back():
    """``table[rows]`` is each customer's own conditional expectation."""
    x, _, t_cal = _book(10, n=2000)
    horizons = [30.0, 60.0, 365.0]
    rows, table = bgnbd_expected_if_alive_table(
        params=PARAMS[0], frequency=x, T=t_cal, horizons=horizons
    )
    assert table.shape[0] < x.size
    for j, horizon in enumerate(horizons):
        per_row = _expected_if_alive(
            params=PARAMS[0], x=x, t_cal=t_cal, t=np.full(x.size, horizon)
        )
        np.testing.assert_array_equal(table[rows, j], per_row)


def _clv_loop(*, params, x, t_x, t_cal, spend, units_per_month, months, rate):
    """CLV as month-by-month differences of per-row expected purchases."""
    previous = np.zeros_like(x)
    total = np.zeros_like(x)
    for month in range(1, months + 1):
        cumulative = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
        cumulative = cumulative * _expected_if_alive(
            params=params,
            x=x,
            t_cal=t_cal,
            t=np.full(x.size, month * units_per_month),
        )
        total += (cumulative - previous) / (1.0 + rate) ** month
        previous = cumulative
    return total * spend


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(
    ("months", "rate", "whole_days"),
    [(12, 0.01, True), (12, 0.0, True), (1, 0.05, False), (36, 0.02, False)],
)
def test_clv_equals_month_by_month_loop(params, months, rate, whole_days):
    """Per-pair CLV equals summing discounted monthly increments per customer."""
    x, t_x, t_cal = _book(11, n=2500, whole_days=whole_days)
    spend = np.random.default_rng(0).gamma(2.0, 30.0, x.size)
    units = 365.25 / 12 if whole_days else 365.25 / 12 / 7
    fast = clv(
        params=params,
        frequency=x,
        recency=t_x,
        T=t_cal,
        expected_spend=spend,
        units_per_month=units,
        months=months,
        monthly_discount_rate=rate,
    )
    slow = _clv_loop(
        params=params,
        x=x,
        t_x=t_x,
        t_cal=t_cal,
        spend=spend,
        units_per_month=units,
        months=months,
        rate=rate,
    )
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)


def _spend_book(seed: int, n: int = 20_000):
    """Return repeat buyers' x and mean spend in cents, with shared totals."""
    rng = np.random.default_rng(seed)
    x = np.minimum(rng.geometric(0.2, n), 300).astype(float)
    nu = rng.gamma(4.0, 1.0 / 20.0, n)
    total = np.round(rng.gamma(5.0 * x, 1.0 / nu), 0)  # whole currency units
    return x, np.maximum(total, 1.0) / x


def _spend_gradient_per_row(theta, x, m):
    p, q, gamma = np.exp(theta)
    px = p * x
    log_gmx = np.log(gamma + m * x)
    psi_pxq = special.digamma(px + q)
    d_p = x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_gmx)
    d_q = psi_pxq - special.digamma(q) + np.log(gamma) - log_gmx
    d_g = q / gamma - (px + q) / (gamma + m * x)
    return -np.array([d_p.mean() * p, d_q.mean() * q, d_g.mean() * gamma])


@pytest.mark.parametrize("seed", [0, 1])
def test_spend_objective_equals_per_row(seed):
    """Grouping by x and by total spend m x keeps the LL and its gradient."""
    x, m = _spend_book(seed)
    objective = _SpendObjective(x, m)
    assert objective.u.size < x.size
    rng = np.random.default_rng(seed)
    for theta in [np.log([6.0, 4.0, 15.0]), *rng.uniform(-3, 5, (4, 3))]:
        p, q, gamma = np.exp(theta)
        direct = gamma_gamma_log_likelihood(
            p=p, q=q, gamma=gamma, frequency=x, monetary=m
        )
        value, grad = objective(theta)
        assert value == pytest.approx(-direct.mean(), rel=1e-10)
        np.testing.assert_allclose(
            grad, _spend_gradient_per_row(theta, x, m), rtol=1e-7, atol=1e-10
        )


def _per_row_fit(x, m):
    """Fit Gamma-Gamma with a per-customer objective from the same start."""

    def per_row(theta):
        p, q, gamma = np.exp(theta)
        ll = gamma_gamma_log_likelihood(p=p, q=q, gamma=gamma, frequency=x, monetary=m)
        return -ll.mean(), _spend_gradient_per_row(theta, x, m)

    return optimize.minimize(
        per_row,
        np.log([1.0, 2.0, m.mean()]),
        jac=True,
        method="L-BFGS-B",
        bounds=[(np.log(1e-6), np.log(1e6))] * 3,
        options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9},
    )


def test_spend_fit_equals_per_row_fit():
    """The fit lands where a per-row objective's L-BFGS-B fit lands."""
    x, m = _spend_book(3)
    fast = gamma_gamma_fit(frequency=x, monetary=m)
    result = _per_row_fit(x, m)
    np.testing.assert_allclose(
        [fast.p, fast.q, fast.gamma], np.exp(result.x), rtol=1e-5
    )
    assert fast.log_likelihood == pytest.approx(-result.fun * x.size, rel=1e-10)


def test_spend_fit_climbs_a_ridge_to_the_bound():
    """Without spend heterogeneity the fit still ends where a per-row fit ends.

    With every customer's scale the same, q and gamma grow together towards
    gamma's upper bound, a long flat ridge where L-BFGS-B may stop part-way.
    """
    rng = np.random.default_rng(4)
    x = rng.integers(1, 20, 50_000).astype(float)
    m = np.round(rng.gamma(3.0 * x, 40.0 / 3.0) / x, 2)
    fast = gamma_gamma_fit(frequency=x, monetary=m)
    result = _per_row_fit(x, m)
    assert fast.gamma == pytest.approx(1e6, rel=1e-9)
    np.testing.assert_allclose(
        [fast.p, fast.q, fast.gamma], np.exp(result.x), rtol=1e-4
    )
    # At least as good as the per-row fit, to rounding: the sums differ in their
    # last bits from one CPU's vector units to another's (~1e-11 relative).
    assert fast.log_likelihood >= -result.fun * x.size * (1 + 1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_distinct_rows_equal_numpy_unique(seed):
    """Lookup-table factorisation agrees with ``np.unique(axis=0)``."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    columns = [rng.integers(0, int(rng.integers(1, 3000)), n).astype(float)]
    columns.append(rng.integers(0, 40, n) / 7.0)  # fractional: sorted path
    columns.append(rng.integers(0, 2_000_000, n).astype(float))  # wide range
    columns.append(rng.integers(-3, 3, n).astype(float))  # negative
    chosen = [columns[i] for i in rng.permutation(4)[: 1 + seed % 3]]
    uniques, index = distinct_rows(*chosen)
    expected, inverse = np.unique(np.stack(chosen, axis=1), axis=0, return_inverse=True)
    for j, u in enumerate(uniques):
        np.testing.assert_array_equal(u, expected[:, j])
        np.testing.assert_array_equal(u[index], chosen[j])
    np.testing.assert_array_equal(index, inverse.reshape(-1))


def test_distinct_values_falls_back_for_nan_and_fractions():
    """Only small non-negative integers take the table path."""
    assert small_int_values(np.array([0.0, 3.0, 3.0])) is not None
    for values in ([0.5, 1.0], [np.nan, 1.0], [-1.0, 2.0], [1e12, 0.0], []):
        assert small_int_values(np.array(values)) is None
    uniques, codes = distinct_values(np.array([2.5, np.nan, 2.5, 1.0]))
    np.testing.assert_array_equal(uniques[codes], [2.5, np.nan, 2.5, 1.0])


def test_percentile_by_distinct_value_equals_per_row():
    """Engagement percentiles via distinct days equal the per-row computation."""
    rng = np.random.default_rng(12)
    days = rng.integers(0, 1200, 50_000).astype(float)
    days[:5000] = 7.0  # a heavy tie, so quantiles repeat
    quantiles = np.quantile(days, np.linspace(0.0, 1.0, 101)).tolist()
    assert small_int_values(days) is not None
    np.testing.assert_array_equal(
        _percentile(days, quantiles), _percentile_rows(days, quantiles)
    )


def test_percentile_single_search_equals_two_searches():
    """Finding a tie's run end from the quantiles equals a right-side search."""
    rng = np.random.default_rng(13)
    values = np.round(rng.gamma(2.0, 40.0, 20_000), 2)
    values[rng.random(values.size) < 0.1] = np.nan
    quantiles = np.quantile(values[np.isfinite(values)], np.linspace(0, 1, 101))
    quantiles[10:20] = quantiles[10]  # a run of equal quantiles
    values[:50] = quantiles[10]
    q = quantiles
    low = np.searchsorted(q, values, side="left")
    high = np.searchsorted(q, values, side="right")
    interpolated = np.interp(values, q, np.linspace(0.0, 1.0, 101))
    mid = (low + high - 1) / 2.0 / 100.0
    share = np.where(high > low, np.clip(mid, 0.0, 1.0), interpolated)
    expected = np.where(np.isfinite(values), 100.0 * share, np.nan)
    np.testing.assert_array_equal(_percentile(values, q.tolist()), expected)


def test_clv_with_p_alive_given_equals_computed():
    """Passing the P(alive) that bgnbd_predict computed changes nothing."""
    x, t_x, t_cal = _book(14, n=1000)
    spend = np.full(x.size, 50.0)
    args = {
        "params": PARAMS[0],
        "frequency": x,
        "recency": t_x,
        "T": t_cal,
        "expected_spend": spend,
        "units_per_month": 365.25 / 12,
        "monthly_discount_rate": 0.01,
    }
    p_alive = bgnbd_predict(
        params=PARAMS[0], frequency=x, recency=t_x, T=t_cal, horizon=90.0
    ).p_alive
    np.testing.assert_array_equal(clv(**args, p_alive=p_alive), clv(**args))
