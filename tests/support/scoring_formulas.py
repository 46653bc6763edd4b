"""The BG/NBD and Gamma-Gamma formulas as the papers write them, per customer.

Production scores through compressed, fused paths (``scoring/bgnbd.py``,
``scoring/gamma_gamma.py``); these plain versions exist only so the tests can
check those paths and the fits against the literature. Kept here, not in the
scoring modules, because nothing in production calls them.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from scoring.bgnbd import (
    BgNbdParams,
    _expected_if_alive,
    bgnbd_expected_if_alive_table,
    bgnbd_p_alive,
)


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
    if np.ndim(horizon) == 0:
        x, t_x, t_cal = np.broadcast_arrays(x, t_x, t_cal)
        p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
        rows, table = bgnbd_expected_if_alive_table(
            params=params, frequency=x, T=t_cal, horizons=[float(horizon)]
        )
        return p_alive * table[rows, 0]
    # A horizon per customer: evaluate row by row.
    x, t_x, t_cal, t = np.broadcast_arrays(x, t_x, t_cal, np.asarray(horizon, float))
    p_alive = bgnbd_p_alive(params=params, frequency=x, recency=t_x, T=t_cal)
    return p_alive * _expected_if_alive(
        params=params, x=x.astype(float), t_cal=t_cal.astype(float), t=t.astype(float)
    )


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
