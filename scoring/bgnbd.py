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

from scoring.distinct import distinct_rows, distinct_values
from scoring.optimiser import lbfgsb_converged

# The optimiser's box for every parameter; a fit that ends on it is degenerate
# (``scoring.fit_checks``).
BOUNDS = (1e-6, 1e6)
_LOG_BOUNDS = (np.log(BOUNDS[0]), np.log(BOUNDS[1]))
_QUAD_NODES = 64
_WARM_START_ABOVE = 100_000


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """Return the inner product without BLAS.

    OpenBLAS threads ``np.dot`` on long vectors; on a busy two-core machine
    its spinning threads made each objective evaluation several times slower.
    """
    return float(np.einsum("i,i->", u, v))


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters and the total log-likelihood of the fit.

    ``converged`` is False when L-BFGS-B stopped short of a stationary point
    (iteration limit, a line search that failed on a slope).
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n: int
    converged: bool = True


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
    taken once per distinct T. Factorising each column first (a lookup table
    for whole days, see ``scoring.distinct``) gives one int64 key per row,
    which sorts far faster than ``np.unique(axis=0)``. Rows come out sorted by
    x, then t_x, then T.
    """
    uniques = []
    codes = []
    for col in (x, t_x, t_cal):
        u, inv = distinct_values(col)
        uniques.append(u)
        codes.append(inv.astype(np.int64, copy=False))
    n1, n2 = uniques[1].size, uniques[2].size
    key = (codes[0] * n1 + codes[1]) * n2 + codes[2]
    del codes
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

    Per customer ``LL = C(x) - s log(alpha + T) + softplus(d)`` with ``s = r +
    x`` and ``d = l2 - l1 = B(x) - s (log(alpha + t_x) - log(alpha + T))``,
    where ``C`` and ``B`` hold the gamma and beta functions. Everything but
    ``softplus(d)`` and its weight ``expit(d)`` sums per distinct x or per
    distinct T (with weighted counts fixed at construction), so per
    compressed repeat-buyer row there is one ``exp``, one ``log`` and a few
    gathers and products; one-time buyers (``d = -inf``) need no row work.
    Using ``log(1 + e)`` for ``log1p(e)`` with ``e <= 1`` errs by at most
    one rounding of a term of order one, far below the sum's own rounding.
    """

    def __init__(self, data: _Compressed) -> None:
        self.data = data
        w = data.weight
        x_rows = data.ux[data.ix]
        self.total = w.sum()
        n_x, n_t = data.ux.size, data.uT.size
        self.n_u = np.bincount(data.ix, weights=w, minlength=n_x)
        self.w_t = np.bincount(data.iT, weights=w, minlength=n_t)
        self.wx_t = np.bincount(data.iT, weights=w * x_rows, minlength=n_t)
        # Rows are sorted by x, so repeat buyers are a suffix, in runs per x.
        self.first_rep = int(np.searchsorted(data.ux, 0.0, side="right"))
        start = int(np.searchsorted(data.ix, self.first_rep))
        self.rep_ix = (data.ix[start:] - self.first_rep).astype(np.intp)
        self.rep_itx = data.itx[start:].astype(np.intp)
        self.rep_iT = data.iT[start:].astype(np.intp)
        self.rep_x = x_rows[start:]
        self.rep_w = w[start:]
        self.rep_runs = np.searchsorted(self.rep_ix, np.arange(n_x - self.first_rep))
        self.buffers = tuple(np.empty(self.rep_w.size) for _ in range(6))
        self.positive = np.empty(self.rep_w.size, dtype=bool)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        data, n = self.data, self.total
        ux = data.ux
        ux_rep = ux[self.first_rep :]
        # Per distinct x and per distinct T / t_x.
        b1 = special.betaln(a, b + ux)
        common = special.gammaln(r + ux) - special.gammaln(r)
        common += r * np.log(alpha) - special.betaln(a, b)
        b2_minus_b1 = special.betaln(a + 1.0, b + ux_rep - 1.0) - b1[self.first_rep :]
        log_at = np.log(alpha + data.uT)
        log_atx = np.log(alpha + data.utx)
        inv_at = 1.0 / (alpha + data.uT)
        inv_atx = 1.0 / (alpha + data.utx)
        ll = _dot(self.n_u, b1 + common)
        ll -= r * _dot(self.w_t, log_at) + _dot(self.wx_t, log_at)

        # Per compressed repeat-buyer row, in preallocated buffers: fresh
        # arrays this size would be page-faulted in on every call.
        delta, s, d, e, tmp, tmp2 = self.buffers
        np.take(log_atx, self.rep_itx, out=delta)
        np.take(log_at, self.rep_iT, out=tmp)
        delta -= tmp
        np.add(self.rep_x, r, out=s)
        np.take(b2_minus_b1, self.rep_ix, out=d)
        np.multiply(s, delta, out=tmp)
        d -= tmp
        np.abs(d, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.add(e, 1.0, out=tmp)
        # softplus(d) = max(d, 0) + log(1 + e^-|d|)
        np.log(tmp, out=tmp2)
        ll += _dot(self.rep_w, tmp2)
        np.maximum(d, 0.0, out=tmp2)
        ll += _dot(self.rep_w, tmp2)
        np.reciprocal(tmp, out=tmp)  # expit(|d|)
        e *= tmp  # expit(-|d|)
        np.greater(d, 0.0, out=self.positive)
        np.copyto(e, tmp, where=self.positive)  # expit(d), the weight of l2
        w2 = e
        w2 *= self.rep_w
        nw2_u = np.add.reduceat(w2, self.rep_runs) if w2.size else np.zeros(0)
        sum_w2 = w2.sum()
        d_r_rows = _dot(w2, delta)
        w2 *= s
        np.take(inv_atx, self.rep_itx, out=tmp)
        np.take(inv_at, self.rep_iT, out=tmp2)
        tmp -= tmp2
        d_alpha_rows = _dot(w2, tmp)

        psi_abx = special.digamma(a + b + ux)
        d_r = _dot(self.n_u, special.digamma(r + ux) - special.digamma(r))
        d_r += n * np.log(alpha) - _dot(self.w_t, log_at) - d_r_rows
        d_alpha = n * r / alpha - d_alpha_rows
        d_alpha -= r * _dot(self.w_t, inv_at) + _dot(self.wx_t, inv_at)
        # d B / d a = psi(a + 1) - psi(a) = 1 / a; d B / d b = -1 / (b + x - 1).
        d_a = n * (special.digamma(a + b) - special.digamma(a))
        d_a += _dot(self.n_u, special.digamma(a) - psi_abx) + sum_w2 / a
        d_b = n * (special.digamma(a + b) - special.digamma(b))
        d_b += _dot(self.n_u, special.digamma(b + ux) - psi_abx)
        d_b -= _dot(nw2_u, 1.0 / (b + ux_rep - 1.0))
        grad = -np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b]) / n
        return float(-ll / n), grad


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
        converged=lbfgsb_converged(result, _LOG_BOUNDS, objective=objective),
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


def bgnbd_expected_if_alive_table(
    *,
    params: BgNbdParams,
    frequency: np.ndarray,
    T: np.ndarray,  # noqa: N803
    horizons: list[float] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(rows, table)``: E[purchases in (T, T + h] | alive] per (x, T).

    The conditional expectation depends on x and T but not on t_x, and a
    book of customers measured in days has a few thousand distinct (x, T)
    pairs, so the costly 2F1 is evaluated once per pair and horizon:
    ``table[rows[i], j]`` is customer i's expectation over ``horizons[j]``,
    exactly what ``_expected_if_alive`` gives for that customer.
    """
    x, t_cal = np.broadcast_arrays(*_as_float(frequency, T))
    (ux, u_t), rows = distinct_rows(x.ravel(), t_cal.ravel())
    h = np.asarray(horizons, dtype=np.float64).reshape(-1)
    table = np.empty((ux.size, h.size))
    for j, horizon in enumerate(h.tolist()):
        table[:, j] = _expected_if_alive(
            params=params, x=ux, t_cal=u_t, t=np.full(ux.size, horizon)
        )
    return rows.reshape(x.shape), table


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
    Everything but P(alive) depends on (x, T) alone, so it is computed once
    per distinct pair and gathered.
    """
    x, t_x, t_cal = np.broadcast_arrays(*_as_float(frequency, recency, T))
    p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
    (ux, u_t), rows = distinct_rows(x.ravel(), t_cal.ravel())
    rows = rows.reshape(x.shape)
    s = params.r + ux
    if_alive = _expected_if_alive(
        params=params, x=ux, t_cal=u_t, t=np.full(ux.size, float(horizon))
    )
    p_buy_if_alive = -np.expm1(-s * np.log1p(horizon / (params.alpha + u_t)))
    churn_risk = 1.0 - p_alive * p_buy_if_alive[rows]
    np.clip(churn_risk, 0.0, 1.0, out=churn_risk)
    with np.errstate(over="ignore"):
        next_in = (params.alpha + u_t) * np.expm1(np.log(2.0) / s)
    return BgNbdPrediction(
        p_alive=p_alive,
        expected_purchases=p_alive * if_alive[rows],
        churn_risk=churn_risk,
        expected_next_order_in=next_in[rows],
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
