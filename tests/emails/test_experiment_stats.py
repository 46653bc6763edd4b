"""The A/B statistics: pooled two-proportion z-test and the fixed-horizon plan."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2_contingency, norm

from emails.services.experiment_stats import (
    ALPHA,
    sample_size_per_arm,
    two_proportion_ztest,
)


def ztest_power(
    *, baseline: float, mde: float, n_per_arm: int, alpha: float = ALPHA
) -> float:
    """Return the power of the pooled z-test with ``n_per_arm`` windows per arm.

    The normal approximation the sample size formula inverts (the far tail,
    below ``-z``, is left out as Fleiss does); used here to check it.
    Only the tests need it, so it lives here.
    """
    p1, p2 = baseline, baseline + mde
    pbar = (p1 + p2) / 2
    z_alpha = norm.ppf(1 - alpha / 2)
    null_se = math.sqrt(2 * pbar * (1 - pbar) / n_per_arm)
    alt_se = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n_per_arm)
    return float(norm.cdf((abs(mde) - z_alpha * null_se) / alt_se))


def test_ztest_matches_the_statsmodels_documentation_example():
    """5 of 83 vs 12 of 99: z -1.408, p 0.159 (statsmodels' proportions_ztest doc)."""
    test = two_proportion_ztest(x1=5, n1=83, x2=12, n2=99)
    assert test.difference == pytest.approx(5 / 83 - 12 / 99)
    assert test.z == pytest.approx(-1.4078, abs=1e-4)
    assert test.p_value == pytest.approx(0.159, abs=5e-4)


def test_ztest_squared_is_pearsons_chi_square_without_yates():
    """The pooled z-test is the uncorrected chi-square test of the 2x2 table."""
    x1, n1, x2, n2 = 48, 400, 71, 410
    test = two_proportion_ztest(x1=x1, n1=n1, x2=x2, n2=n2)
    chi2, p_value, *_ = chi2_contingency(
        [[x1, n1 - x1], [x2, n2 - x2]], correction=False
    )
    assert test.z**2 == pytest.approx(chi2)
    assert test.p_value == pytest.approx(p_value)


def test_ztest_without_any_variance_shows_no_difference():
    """Nobody (or everybody) re-engaged in both arms: no evidence either way."""
    assert two_proportion_ztest(x1=0, n1=50, x2=0, n2=60).p_value == 1.0
    assert two_proportion_ztest(x1=50, n1=50, x2=60, n2=60).z == 0.0


def test_ztest_refuses_impossible_counts():
    """Empty arms and more successes than trials are errors, not numbers."""
    with pytest.raises(ValueError, match="trial"):
        two_proportion_ztest(x1=0, n1=0, x2=1, n2=10)
    with pytest.raises(ValueError, match="between"):
        two_proportion_ztest(x1=11, n1=10, x2=1, n2=10)


@pytest.mark.parametrize(
    ("baseline", "mde", "expected"),
    [
        # Fleiss's pooled formula, alpha 0.05 two-sided, power 0.8, no continuity
        # correction: the published per-group sizes of the usual calculators.
        (0.10, 0.05, 686),
        (0.20, 0.10, 294),
    ],
)
def test_sample_size_matches_published_values(baseline, mde, expected):
    """10% -> 15% needs 686 per arm; 20% -> 30% needs 294."""
    assert sample_size_per_arm(baseline=baseline, mde=mde) == expected


def test_sample_size_is_the_smallest_n_with_the_planned_power():
    """At the planned n the test has power 0.8; one window fewer, it has not."""
    for baseline, mde in ((0.12, 0.03), (0.26, 0.05), (0.05, 0.02)):
        n = sample_size_per_arm(baseline=baseline, mde=mde)
        assert ztest_power(baseline=baseline, mde=mde, n_per_arm=n) >= 0.8
        assert ztest_power(baseline=baseline, mde=mde, n_per_arm=n - 1) < 0.8


def test_sample_size_grows_with_a_stricter_alpha():
    """A Bonferroni-split alpha (three variants) needs more windows per arm."""
    assert sample_size_per_arm(baseline=0.1, mde=0.05, alpha=0.025) > 686


@pytest.mark.parametrize(
    ("baseline", "mde"), [(0.0, 0.05), (1.0, 0.05), (0.2, 0.0), (0.9, 0.2)]
)
def test_sample_size_refuses_impossible_plans(baseline, mde):
    """Rates must stay inside (0, 1) and the effect must be positive."""
    with pytest.raises(ValueError, match=r"rate|effect"):
        sample_size_per_arm(baseline=baseline, mde=mde)
