"""BG/NBD purchase model (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

While alive, a customer buys as a Poisson process with rate ``lambda ~
Gamma(r, alpha)``; after each purchase the customer drops out with probability
``p ~ Beta(a, b)``. The sufficient statistics are ``x`` (repeat purchases),
``t_x`` (recency: first to last purchase) and ``T`` (first purchase to the end
of calibration), all in one time unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize, special

_LOG_BOUNDS = (np.log(1e-6), np.log(1e6))
_QUAD_NODES = 64
_WARM_START_ABOVE = 100_000


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters and the total log-likelihood of the fit."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n: int


@dataclass(frozen=True)
class BgNbdPrediction:
    """Per-customer forecasts over the next ``horizon`` time units after ``T``.

    ``expected_next_order_in`` is the median wait (from ``T``) until the next
    purchase of a customer who is still alive: ``(alpha + T)(2^(1/(r+x)) - 1)``,
    the median of the posterior-predictive Lomax wait. It is conditional on
    being alive (combine with ``p_alive``) and may be ``inf`` when ``r + x`` is
    tiny, i.e. the model expects essentially no further purchase.
    """

    p_alive: np.ndarray
    expected_purchases: np.ndarray
    churn_risk: np.ndarray
    expected_next_order_in: np.ndarray


def _as_float(*arrays: np.ndarray) -> list[np.ndarray]:
    return [np.asarray(arr, dtype=np.float64) for arr in arrays]


def bgnbd_log_likelihood(
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803 - the literature's name
) -> np.ndarray:
    """Return each customer's log-likelihood (FHL 2005, eq. 6) in log space.

    The second term only exists for repeat buyers; working with ``betaln`` and
    ``logaddexp`` keeps it finite for x in the hundreds and T in the thousands.
    """
    x, t_x, t_cal = _as_float(frequency, recency, T)
    s = r + x
    common = (
        special.gammaln(s)
        - special.gammaln(r)
        + r * np.log(alpha)
        - special.betaln(a, b)
    )
    l1 = special.betaln(a, b + x) - s * np.log(alpha + t_cal)
    repeat = x > 0
    x_safe = np.where(repeat, x, 1.0)
    l2 = np.where(
        repeat,
        special.betaln(a + 1.0, b + x_safe - 1.0) - s * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(l1, l2)


@dataclass(frozen=True)
class _Compressed:
    """Distinct (x, t_x, T) rows as indices into each column's distinct values."""

    ux: np.ndarray
    utx: np.ndarray
    uT: np.ndarray  # noqa: N815
    ix: np.ndarray
    itx: np.ndarray
    iT: np.ndarray  # noqa: N815
    weight: np.ndarray


def _compress(x: np.ndarray, t_x: np.ndarray, t_cal: np.ndarray) -> _Compressed:
    """Collapse identical (x, t_x, T) rows into distinct rows with counts.

    Customers measured in whole days or weeks share few distinct triples, and
    each column has fewer distinct values still, so logs of ``alpha + T`` are
    taken once per distinct T. Factorising each column first gives one int64
    key per row, which sorts far faster than ``np.unique(axis=0)``.
    """
    uniques = []
    codes = []
    for col in (x, t_x, t_cal):
        u, inv = np.unique(col, return_inverse=True)
        uniques.append(u)
        codes.append(inv.astype(np.int64))
    n1, n2 = uniques[1].size, uniques[2].size
    key = (codes[0] * n1 + codes[1]) * n2 + codes[2]
    ukey, counts = np.unique(key, return_counts=True)
    return _Compressed(
        ux=uniques[0],
        utx=uniques[1],
        uT=uniques[2],
        ix=ukey // (n1 * n2),
        itx=(ukey // n2) % n1,
        iT=ukey % n2,
        weight=counts.astype(np.float64),
    )


class _Objective:
    """Negative mean log-likelihood and its gradient over log-parameters.

    Terms that depend on ``x`` alone (gamma and beta functions, digammas) are
    computed once per distinct ``x`` and summed with ``bincount``; logs of
    ``alpha + T`` once per distinct T. Per compressed row only one ``exp``
    and one ``log1p`` remain: with ``d = l2 - l1`` the two likelihood terms
    combine as ``l1 + softplus(d)``, and the term weights are ``expit(d)``.
    """

    def __init__(self, data: _Compressed) -> None:
        self.data = data
        self.x = data.ux[data.ix]
        self.total = data.weight.sum()
        self.repeat_u = data.ux > 0
        self.ux_safe = np.where(self.repeat_u, data.ux, 1.0)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        data = self.data
        ux, ux_safe, rep = data.ux, self.ux_safe, self.repeat_u
        xi, w = data.ix, data.weight
        # Per distinct x.
        b1 = special.betaln(a, b + ux)
        b2_minus_b1 = np.where(
            rep, special.betaln(a + 1.0, b + ux_safe - 1.0) - b1, -np.inf
        )
        common = special.gammaln(r + ux) - special.gammaln(r)
        common += r * np.log(alpha) - special.betaln(a, b)
        # Per distinct T / t_x, then per compressed row.
        log_at = np.log(alpha + data.uT)[data.iT]
        log_atx = np.log(alpha + data.utx)[data.itx]
        s = r + self.x
        d = b2_minus_b1[xi] - s * (log_atx - log_at)
        e = np.exp(-np.abs(d))
        w_major = 1.0 / (1.0 + e)
        w2 = np.where(d > 0, w_major, 1.0 - w_major)
        w1 = 1.0 - w2
        ll_rows = (b1 + common)[xi] - s * log_at + np.maximum(d, 0.0) + np.log1p(e)
        value = -np.dot(w, ll_rows) / self.total

        n_u = np.bincount(xi, weights=w, minlength=ux.size)
        nw1 = w * w1
        nw2 = w * w2
        nw1_u = np.bincount(xi, weights=nw1, minlength=ux.size)
        nw2_u = n_u - nw1_u
        psi_abx = special.digamma(a + b + ux)
        d_r = np.dot(n_u, special.digamma(r + ux) - special.digamma(r) + np.log(alpha))
        d_r -= np.dot(nw1, log_at) + np.dot(nw2, log_atx)
        d_alpha = self.total * r / alpha - (
            np.dot(nw1 * s, 1.0 / (alpha + data.uT)[data.iT])
            + np.dot(nw2 * s, 1.0 / (alpha + data.utx)[data.itx])
        )
        d_a = -self.total * (special.digamma(a) - special.digamma(a + b))
        d_a += np.dot(nw1_u, special.digamma(a) - psi_abx)
        d_a += np.dot(nw2_u, np.where(rep, special.digamma(a + 1.0) - psi_abx, 0.0))
        d_b = -self.total * (special.digamma(b) - special.digamma(a + b))
        d_b += np.dot(nw1_u, special.digamma(b + ux) - psi_abx)
        d_b += np.dot(
            nw2_u, np.where(rep, special.digamma(b + ux_safe - 1.0) - psi_abx, 0.0)
        )
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / self.total
        return float(value), grad


def _minimize(
    objective: _Objective, theta0: np.ndarray, *, ftol: float
) -> optimize.OptimizeResult:
    return optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 4,
        options={"maxiter": 1000, "ftol": ftol, "gtol": 1e-9},
    )


def bgnbd_fit(
    *,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803 - the literature's name
) -> BgNbdParams:
    """Fit BG/NBD by maximum likelihood.

    L-BFGS-B runs on log-parameters (so positivity needs no constraint) with
    the analytic gradient, on rows compressed to distinct (x, t_x, T).
    """
    x, t_x, t_cal = _as_float(frequency, recency, T)
    if not (x.shape == t_x.shape == t_cal.shape) or x.size == 0:
        raise ValueError("frequency, recency and T must be equal-length, non-empty")
    if (x < 0).any() or (t_x < 0).any() or (t_x > t_cal + 1e-9).any():
        raise ValueError("need frequency >= 0 and 0 <= recency <= T")
    # Start where the mean purchase rate r/alpha matches the data.
    rate = max(x.mean(), 1e-3) / max(t_cal.mean(), 1e-3)
    theta = np.clip(np.log([1.0, 1.0 / rate, 1.0, 3.0]), *_LOG_BOUNDS)
    if x.size > _WARM_START_ABOVE:
        # Most iterations are spent far from the optimum: take them on a
        # fixed random subsample, then polish on everyone.
        rows = np.random.default_rng(0).choice(x.size, _WARM_START_ABOVE, False)
        warm = _Objective(_compress(x[rows], t_x[rows], t_cal[rows]))
        theta = _minimize(warm, theta, ftol=1e-9).x
    objective = _Objective(_compress(x, t_x, t_cal))
    # After a warm start, 1e-10 moves parameters by ~0.1%, far below their
    # sampling error at this size, and halves the full-data evaluations.
    ftol = 1e-10 if x.size > _WARM_START_ABOVE else 1e-12
    result = _minimize(objective, theta, ftol=ftol)
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise RuntimeError(f"BG/NBD fit failed: {result.message}")
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return BgNbdParams(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=float(-result.fun * objective.total),
        n=int(x.size),
    )


def bgnbd_p_alive(
    *,
    params: BgNbdParams,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """Return P(alive at T | x, t_x, T) (FHL 2005, eq. 12), via a stable logit."""
    x, t_x, t_cal = _as_float(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    x_safe = np.where(repeat, x, 1.0)
    log_odds_dead = (
        np.log(a)
        - np.log(b + x_safe - 1.0)
        + (r + x) * (np.log(alpha + t_cal) - np.log(alpha + t_x))
    )
    return np.where(repeat, special.expit(-log_odds_dead), 1.0)


def _gauss_jacobi(n: int, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Return Gauss-Jacobi nodes on [-1, 1] and weights normalised to sum 1.

    Golub-Welsch on the Jacobi matrix. ``scipy.special.roots_jacobi`` scales
    its weights by ``2^(alpha + beta + 1)``, which overflows for the large
    ``b + x`` met here; only relative weights are needed.
    """
    k = np.arange(1, n, dtype=np.float64)
    ab = alpha + beta
    diag = np.empty(n)
    diag[0] = (beta - alpha) / (ab + 2.0)
    diag[1:] = (beta**2 - alpha**2) / ((2 * k + ab) * (2 * k + ab + 2.0))
    off = np.sqrt(
        4.0
        * k
        * (k + alpha)
        * (k + beta)
        * (k + ab)
        / ((2 * k + ab) ** 2 * (2 * k + ab + 1.0) * (2 * k + ab - 1.0))
    )
    nodes, vectors = linalg.eigh_tridiagonal(diag, off)
    weights = vectors[0] ** 2
    return nodes, weights / weights.sum()


def _expected_if_alive_quadrature(
    *, a: float, b: float, x: np.ndarray, s: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Return E[purchases in window | alive] by Gauss-Jacobi quadrature.

    Given alive at T, ``p ~ Beta(a, b + x)`` and ``lambda ~ Gamma(r + x,
    alpha + T)``; integrating ``(1 - e^{-lambda p t}) / p`` over lambda leaves
    ``E_p[(1 - (1 + p k)^-s) / p]`` with ``k = t / (alpha + T)``. The Beta
    weight is exactly Gauss-Jacobi's, and the integrand is smooth in p.
    """
    out = np.empty_like(k)
    for xv in np.unique(x):
        rows = x == xv
        nodes, weights = _gauss_jacobi(_QUAD_NODES, b + xv - 1.0, a - 1.0)
        p = (1.0 + nodes) / 2.0
        pk = np.outer(k[rows], p)
        f = -np.expm1(-s[rows, None] * np.log1p(pk)) / p
        out[rows] = f @ weights
    return out


def _expected_if_alive(
    *, params: BgNbdParams, x: np.ndarray, t_cal: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Return E[purchases in (T, T + t] | alive at T, x, T].

    FHL eq. 10 has ``(1 - z)^s 2F1(s, b + x; a + b + x - 1; z)`` with
    ``z = t / (alpha + T + t)``, which diverges as z -> 1 and overflows for
    large x. Euler's transformation rewrites it as ``(1 - z)^(a - 1) 2F1(a - 1,
    a + b - 1 - r; a + b + x - 1; z)``, a bounded series for the usual case.
    The result must lie in ``[1 - (1 + k)^-s, s k]`` (the integrand is
    decreasing in p); anything non-finite or outside that range, or too
    close to the removable singularity at a = 1, is recomputed by quadrature.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    s = r + x
    k = t / (alpha + t_cal)
    z = t / (alpha + t_cal + t)
    upper = s * k
    lower = -np.expm1(-s * np.log1p(k))
    with np.errstate(all="ignore"):
        hyp = special.hyp2f1(a - 1.0, a + b - 1.0 - r, a + b + x - 1.0, z)
        g = np.exp((a - 1.0) * np.log1p(-z)) * hyp
        value = (a + b + x - 1.0) / (a - 1.0) * (1.0 - g)
    bad = (
        ~np.isfinite(value)
        | (value < lower * (1 - 1e-9))
        | (value > upper * (1 + 1e-9))
    )
    if abs(a - 1.0) < 1e-6:
        bad[:] = True
    bad &= t > 0
    if bad.any():
        value[bad] = _expected_if_alive_quadrature(
            a=a, b=b, x=x[bad], s=s[bad], k=k[bad]
        )
    value = np.where(t > 0, value, 0.0)
    return np.clip(value, lower, upper)


def bgnbd_expected_purchases(
    *,
    params: BgNbdParams,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
    horizon: float | np.ndarray,
) -> np.ndarray:
    """Return expected purchases in ``(T, T + horizon]`` (FHL 2005, eq. 10)."""
    x, t_x, t_cal = _as_float(frequency, recency, T)
    x, t_x, t_cal, t = np.broadcast_arrays(x, t_x, t_cal, np.asarray(horizon, float))
    p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
    return p_alive * _expected_if_alive(
        params=params, x=x.astype(float), t_cal=t_cal.astype(float), t=t.astype(float)
    )


def bgnbd_predict(
    *,
    params: BgNbdParams,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
    horizon: float,
) -> BgNbdPrediction:
    """Return P(alive), expected purchases and churn risk over ``horizon``.

    ``churn_risk`` is P(no purchase in (T, T + horizon]). In BG/NBD a customer
    can only drop out right after a purchase, so a customer alive at T makes
    no purchase in the window exactly when the next Poisson event falls after
    it. With ``lambda | alive ~ Gamma(r + x, alpha + T)`` that probability is
    ``((alpha + T) / (alpha + T + t))^(r + x)``, hence
    ``churn_risk = 1 - P(alive) * (1 - ((alpha + T) / (alpha + T + t))^(r + x))``.
    """
    x, t_x, t_cal = _as_float(frequency, recency, T)
    s = params.r + x
    p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
    expected = p_alive * _expected_if_alive(
        params=params, x=x, t_cal=t_cal, t=np.full_like(x, float(horizon))
    )
    p_buy_if_alive = -np.expm1(-s * np.log1p(horizon / (params.alpha + t_cal)))
    churn_risk = np.clip(1.0 - p_alive * p_buy_if_alive, 0.0, 1.0)
    with np.errstate(over="ignore"):
        next_in = (params.alpha + t_cal) * np.expm1(np.log(2.0) / s)
    return BgNbdPrediction(
        p_alive=p_alive,
        expected_purchases=expected,
        churn_risk=churn_risk,
        expected_next_order_in=next_in,
    )


@dataclass(frozen=True)
class BgNbdSample:
    """Customers drawn from the BG/NBD story, with their holdout purchases."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    holdout_purchases: np.ndarray


def bgnbd_simulate(
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: np.ndarray,  # noqa: N803
    horizon: float = 0.0,
    rng: np.random.Generator,
) -> BgNbdSample:
    """Draw customers from the model's own generative story.

    Each customer buys at rate ``lambda ~ Gamma(r, alpha)`` from a first
    purchase at time 0 and drops out with probability ``p ~ Beta(a, b)``
    after each repeat purchase. Purchases in ``(0, T]`` form the calibration
    statistics and those in ``(T, T + horizon]`` the holdout. The tests and
    the benchmark use this to check fits and forecasts against the truth.
    """
    t_cal = np.asarray(T, dtype=np.float64)
    n = t_cal.size
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    clock = np.zeros(n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    holdout = np.zeros(n)
    active = np.flatnonzero(lam > 0)
    while active.size:
        clock[active] += rng.exponential(1.0 / lam[active])
        active = active[clock[active] <= t_cal[active] + horizon]
        in_cal = clock[active] <= t_cal[active]
        x[active[in_cal]] += 1
        t_x[active[in_cal]] = clock[active[in_cal]]
        holdout[active[~in_cal]] += 1
        active = active[rng.random(active.size) >= p[active]]
    return BgNbdSample(frequency=x, recency=t_x, T=t_cal, holdout_purchases=holdout)
