"""Gamma-Gamma spend model and customer lifetime value.

Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value"
(brucehardie.com/notes/025): each transaction value is Gamma(p, nu) and the
customer's scale ``nu ~ Gamma(q, gamma)``, independent of the BG/NBD
purchase process. Fit on customers with at least one repeat purchase, using
``x`` = repeat purchases and ``m_x`` = their mean value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

# One optimiser box and one BLAS-free inner product for both models.
from scoring.bgnbd import (
    _LOG_BOUNDS,
    BgNbdParams,
    _dot,
    bgnbd_expected_if_alive_table,
    bgnbd_p_alive,
)
from scoring.distinct import distinct_values
from scoring.optimiser import (
    STATIONARY_GRADIENT,
    lbfgsb_converged,
    projected_gradient,
)

DAYS_PER_MONTH = 365.25 / 12
_MAX_RESTARTS = 3


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and the log-likelihood of the fit."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n: int
    converged: bool = True


def _fit_rows(
    frequency: np.ndarray, monetary: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    return x[keep], m[keep]


class _SpendObjective:
    """Negative mean Gamma-Gamma log-likelihood and gradient over log-params.

    Per customer ``LL = G(x) + (p x - 1) log m + p x log x - p x log gamma
    - (p x + q) log1p(m x / gamma)``, where ``G`` holds the gamma functions.
    ``G`` and its digammas depend on x alone (a few dozen values); the log
    terms in m and x are fixed sums; only ``log1p(m x / gamma)`` and
    ``1 / (gamma + m x)`` need one pass per distinct total ``m x``, weighted
    by the count and the summed x of the customers sharing it. Writing
    ``log(gamma + m x)`` as ``log gamma + log1p(m x / gamma)`` also avoids
    cancelling ``q log gamma`` against itself when q and gamma grow large.
    """

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        self.n = float(x.size)
        self.ux, x_codes = distinct_values(x)
        self.n_u = np.bincount(x_codes, minlength=self.ux.size).astype(np.float64)
        del x_codes
        self.sum_x = float(_dot(self.n_u, self.ux))
        self.sum_log_m = float(np.log(m).sum())
        # Fixed part of d/dp: sum of x (log m + log x).
        self.sum_x_log_mx = float(_dot(x, np.log(m) + np.log(x)))
        mx = m * x
        order = np.argsort(mx)
        mx_sorted = mx[order]
        del mx
        starts = np.flatnonzero(
            np.concatenate(([True], mx_sorted[1:] != mx_sorted[:-1]))
        )
        self.u = mx_sorted[starts]
        del mx_sorted
        self.w0 = np.diff(np.append(starts, x.size)).astype(np.float64)
        self.w1 = np.add.reduceat(x[order], starts)
        self.u_w0 = self.u * self.w0
        del order, starts
        self.buffer = np.empty(self.u.size)

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = np.exp(theta)
        ux, n_u, n = self.ux, self.n_u, self.n
        pux = p * ux
        log_gamma = np.log(gamma)
        ll = _dot(
            n_u, special.gammaln(pux + q) - special.gammaln(pux) - special.gammaln(q)
        )
        ll += p * self.sum_x_log_mx - self.sum_log_m - p * self.sum_x * log_gamma
        buf = self.buffer
        np.divide(self.u, gamma, out=buf)
        np.log1p(buf, out=buf)
        log1p_w1 = _dot(self.w1, buf)
        log1p_w0 = _dot(self.w0, buf)
        ll -= p * log1p_w1 + q * log1p_w0
        np.add(self.u, gamma, out=buf)
        np.reciprocal(buf, out=buf)
        psi_pxq = special.digamma(pux + q)
        d_p = _dot(n_u, ux * (psi_pxq - special.digamma(pux)))
        d_p += self.sum_x_log_mx - self.sum_x * log_gamma - log1p_w1
        d_q = _dot(n_u, psi_pxq - special.digamma(q)) - log1p_w0
        # gamma * d/dgamma: sum over customers of (q m x - p x gamma) / (gamma + m x).
        d_g_gamma = q * _dot(self.u_w0, buf) - p * gamma * _dot(self.w1, buf)
        grad = -np.array([d_p * p, d_q * q, d_g_gamma]) / n
        return float(-ll / n), grad


def gamma_gamma_fit(*, frequency: np.ndarray, monetary: np.ndarray) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood on repeat buyers with spend > 0.

    Customers without repeat purchases carry no spend information under the
    model's conventions and are skipped, as in the published estimates.
    """
    x, m = _fit_rows(frequency, monetary)
    if x.size < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeats")
    objective = _SpendObjective(x, m)
    # Moment-style start: shape ~1 per transaction, scale near the mean spend.
    theta0 = np.log([1.0, 2.0, float(np.mean(m))])
    del x, m
    # With little spend heterogeneity the optimum lies far out on a ridge
    # (q and gamma growing together) or on gamma's bound, where L-BFGS-B can
    # stop on its relative-reduction test with the gradient still clearly
    # non-zero. Restarting from there (fresh curvature memory) finishes the
    # climb; a restart from a true optimum stops at once.
    theta, previous = theta0, np.inf
    for _ in range(_MAX_RESTARTS + 1):
        result = optimize.minimize(
            objective,
            theta,
            jac=True,
            method="L-BFGS-B",
            bounds=[_LOG_BOUNDS] * 3,
            options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9},
        )
        theta = result.x
        if (
            projected_gradient(result.x, result.jac, _LOG_BOUNDS) < STATIONARY_GRADIENT
            or not result.fun < previous
        ):
            break
        previous = result.fun
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise RuntimeError(f"Gamma-Gamma fit failed: {result.message}")
    p, q, gamma = (float(v) for v in np.exp(result.x))
    n = int(objective.n)
    return GammaGammaParams(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=float(-result.fun * n),
        n=n,
        converged=lbfgsb_converged(result, _LOG_BOUNDS, objective=objective),
    )


def gamma_gamma_expected_spend(
    *, params: GammaGammaParams, frequency: np.ndarray, monetary: np.ndarray
) -> np.ndarray:
    """Return E[spend per transaction | x, m_x] (Fader & Hardie 2013, eq. 5).

    It is a weighted mean of the population mean ``p gamma / (q - 1)`` and the
    customer's own ``m_x``, the latter counting more the more repeats there
    are. Customers without repeats get the population mean. That mean only
    exists for ``q > 1``; otherwise those customers get NaN.
    """
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    p, q, gamma = params.p, params.q, params.gamma
    has_spend = (x > 0) & np.isfinite(m)
    x_eff = np.where(has_spend, x, 0.0)
    m_eff = np.where(has_spend, m, 0.0)
    denom = p * x_eff + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        spend = (gamma + m_eff * x_eff) * p / denom
    return np.where(denom > 0, spend, np.nan)


def clv(
    *,
    params: BgNbdParams,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803 - the literature's name
    expected_spend: np.ndarray,
    units_per_month: float,
    months: int = 12,
    monthly_discount_rate: float = 0.0,
    p_alive: np.ndarray | None = None,
) -> np.ndarray:
    """Return each customer's expected revenue over the next ``months``.

    Without discounting this is expected purchases over the horizon times
    expected spend. With a monthly rate ``d`` the purchases expected in month
    ``m`` (the difference of cumulative BG/NBD forecasts) are discounted by
    ``(1 + d)^-m``, i.e. as if paid at the end of the month: a discrete
    stand-in for continuous discounting that a finance reader can check.
    ``units_per_month`` converts months into the model's time unit (30.44
    for days, 4.348 for weeks). Pass ``p_alive`` when it is already at hand
    (``bgnbd_predict`` computes it) to skip recomputing it.
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    if monthly_discount_rate < 0:
        raise ValueError("monthly_discount_rate must be >= 0")
    x, t_x, t_cal = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    )
    # P(alive) once; the conditional expectations per distinct (x, T) pair.
    if p_alive is None:
        p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
    month = np.arange(1, months + 1)
    rows, cumulative = bgnbd_expected_if_alive_table(
        params=params, frequency=x, T=t_cal, horizons=month * units_per_month
    )
    per_month = np.diff(cumulative, axis=1, prepend=0.0)
    discount = (1.0 + monthly_discount_rate) ** -month.astype(float)
    discounted = np.einsum("kj,j->k", per_month, discount)
    return p_alive * discounted[rows] * np.asarray(expected_spend, dtype=np.float64)
