"""Scores read off a run's stored quantiles agree with exact population ranks."""

import numpy as np

from scoring.engagement import engagement_score
from scoring.engagement_reference import (
    engagement_reference_build,
    engagement_score_with_reference,
)


def test_reference_scores_match_exact_ranks():
    """A client scored alone lands within a few points of the exact ranking."""
    rng = np.random.default_rng(3)
    n = 5000
    recency = rng.exponential(90, n).round()
    frequency = rng.poisson(4, n).astype(float)
    monetary = rng.gamma(4, 30, n)
    kept = rng.integers(0, 6, n).astype(float)
    sent = np.full(n, 5.0)
    rating = np.where(rng.random(n) < 0.5, rng.integers(1, 6, n), np.nan)
    book = {
        "days_since_last_order": recency,
        "frequency": frequency,
        "monetary": monetary,
    }
    fix = {"items_kept": kept, "items_sent": sent, "mean_rating": rating}
    exact = engagement_score(**book, **fix)
    reference = engagement_reference_build(**book)
    approx = engagement_score_with_reference(reference=reference, **book, **fix)
    assert np.nanmax(np.abs(approx.recency - exact.recency)) < 3
    assert np.nanmax(np.abs(approx.frequency - exact.frequency)) < 3
    assert np.nanmax(np.abs(approx.total - exact.total)) < 3
    # More recent means a higher recency component.
    order = np.argsort(recency)
    assert approx.recency[order[0]] >= approx.recency[order[-1]]
