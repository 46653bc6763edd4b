"""Statistics of a prompt A/B test: fixed-horizon design, pooled two-proportion test.

Design (chosen over a sequential test; docs/ARCHITECTURE.md, "Prompt experiments"):
the sample size is fixed when the experiment starts, from a baseline rate ``p1``,
the smallest absolute difference worth detecting ``delta`` (the MDE), a two-sided
``alpha`` and the ``power`` (Fleiss, Levin & Paik, *Statistical Methods for Rates and
Proportions*, 3rd ed. 2003, without the continuity correction)::

    p2 = p1 + delta,  pbar = (p1 + p2) / 2
    n  = ceil( (z(1 - alpha/2) * sqrt(2 pbar (1 - pbar))
                + z(power) * sqrt(p1 (1 - p1) + p2 (1 - p2)))**2 / delta**2 )

per arm. That is the power of exactly the test used at the end, the pooled
two-proportion z-test::

    phat = (x1 + x2) / (n1 + n2)
    z    = (x1/n1 - x2/n2) / sqrt(phat (1 - phat) (1/n1 + 1/n2))
    p    = 2 * (1 - Phi(|z|))

(equal to Pearson's chi-square on the 2x2 table without Yates's correction,
z**2 = chi2). The test is run once, on the first ``n`` closed windows of every arm,
so looking at the dashboard every day is not a repeated test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True, slots=True)
class ZTest:
    """A pooled two-proportion z-test of ``x1/n1 - x2/n2``."""

    difference: float
    z: float
    p_value: float


def two_proportion_ztest(*, x1: int, n1: int, x2: int, n2: int) -> ZTest:
    """Return the pooled two-sided z-test of two independent proportions.

    Pooled under H0 (both rates equal), as the sample size formula assumes. With
    no variance at all (every window or none re-engaged in both arms) there is
    no evidence of a difference: z 0, p 1.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("Both groups need at least one trial.")
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("Successes must lie between 0 and the trials.")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        return ZTest(difference=p1 - p2, z=0.0, p_value=1.0)
    z = (p1 - p2) / math.sqrt(variance)
    from scipy.stats import norm  # lazy: scipy.stats costs Django's start-up ~0.5 s

    return ZTest(difference=p1 - p2, z=z, p_value=float(2 * norm.sf(abs(z))))


def sample_size_per_arm(
    *, baseline: float, mde: float, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Return the windows each arm needs to detect ``baseline`` -> ``baseline + mde``.

    Fleiss's formula for the pooled two-sided z-test; see the module docstring.
    """
    if not 0 < baseline < 1:
        raise ValueError("The baseline rate must lie strictly between 0 and 1.")
    if not 0 < mde < 1 - baseline:
        raise ValueError("The minimum detectable effect must keep the rate below 1.")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("Alpha and power must lie strictly between 0 and 1.")
    p1, p2 = baseline, baseline + mde
    pbar = (p1 + p2) / 2
    from scipy.stats import norm  # lazy: scipy.stats costs Django's start-up ~0.5 s

    z_alpha = norm.ppf(1 - alpha / 2)
    z_power = norm.ppf(power)
    root = z_alpha * math.sqrt(2 * pbar * (1 - pbar)) + z_power * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    # The float is rounded first so 686.0000000001 does not become 687.
    return math.ceil(round(root**2 / mde**2, 6))
