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

from scoring.bgnbd import BgNbdParams, bgnbd_expected_purchases

_LOG_BOUNDS = (np.log(1e-6), np.log(1e6))
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and the log-likelihood of the fit."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n: int


def _fit_rows(
    frequency: np.ndarray, monetary: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    return x[keep], m[keep]


def gamma_gamma_log_likelihood(
    *, p: float, q: float, gamma: float, frequency: np.ndarray, monetary: np.ndarray
) -> np.ndarray:
    """Return each customer's log-density of the mean spend ``m_x`` (x > 0)."""
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def gamma_gamma_fit(*, frequency: np.ndarray, monetary: np.ndarray) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood on repeat buyers with spend > 0.

    Customers without repeat purchases carry no spend information under the
    model's conventions and are skipped, as in the published estimates.
    """
    x, m = _fit_rows(frequency, monetary)
    if x.size < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeats")
    log_x, log_m = np.log(x), np.log(m)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = np.exp(theta)
        px = p * x
        log_gmx = np.log(gamma + m * x)
        ll = gamma_gamma_log_likelihood(p=p, q=q, gamma=gamma, frequency=x, monetary=m)
        psi_pxq = special.digamma(px + q)
        d_p = np.sum(x * (psi_pxq - special.digamma(px) + log_m + log_x - log_gmx))
        d_q = np.sum(psi_pxq - special.digamma(q) + np.log(gamma) - log_gmx)
        d_g = np.sum(q / gamma - (px + q) / (gamma + m * x))
        grad = -np.array([d_p * p, d_q * q, d_g * gamma]) / x.size
        return float(-ll.mean()), grad

    # Moment-style start: shape ~1 per transaction, scale near the mean spend.
    theta0 = np.log([1.0, 2.0, float(np.mean(m))])
    result = optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 3,
        options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9},
    )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise RuntimeError(f"Gamma-Gamma fit failed: {result.message}")
    p, q, gamma = (float(v) for v in np.exp(result.x))
    return GammaGammaParams(
        p=p, q=q, gamma=gamma, log_likelihood=float(-result.fun * x.size), n=x.size
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
) -> np.ndarray:
    """Return each customer's expected revenue over the next ``months``.

    Without discounting this is expected purchases over the horizon times
    expected spend. With a monthly rate ``d`` the purchases expected in month
    ``m`` (the difference of cumulative BG/NBD forecasts) are discounted by
    ``(1 + d)^-m``, i.e. as if paid at the end of the month: a discrete
    stand-in for continuous discounting that a finance reader can check.
    ``units_per_month`` converts months into the model's time unit (30.44
    for days, 4.348 for weeks).
    """
    x = np.asarray(frequency, dtype=np.float64)
    if months < 1:
        raise ValueError("months must be >= 1")
    if monthly_discount_rate < 0:
        raise ValueError("monthly_discount_rate must be >= 0")
    previous = np.zeros_like(x)
    total = np.zeros_like(x)
    for month in range(1, months + 1):
        cumulative = bgnbd_expected_purchases(
            params=params,
            frequency=x,
            recency=recency,
            T=T,
            horizon=month * units_per_month,
        )
        total += (cumulative - previous) / (1.0 + monthly_discount_rate) ** month
        previous = cumulative
    return total * np.asarray(expected_spend, dtype=np.float64)
