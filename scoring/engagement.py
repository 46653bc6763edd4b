"""Explainable 0-100 engagement score for stylists.

Each component is its own 0-100 number a stylist can read:

- recency, frequency, monetary: percentile rank within the scored population
  (ties share their mid-rank). Ranks need no tuning constants, work in any
  time unit or currency, and read as "more recent than 80% of clients".
  Recency ranks time since the last order (shorter is better), frequency
  ranks the number of repeat orders, monetary the mean order value.
- keep_rate: ``100 * items_kept / items_sent`` -- already an absolute scale.
- rating: mean feedback rating mapped linearly, 1 -> 0 and 5 -> 100.

The total is the weighted mean of the components a client *has*: a missing
component (no rating yet, no box sent, no spend recorded) drops out and the
remaining weights are renormalised, so a new client is not penalised for
feedback they could not yet give. A missing component is NaN in its array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_WEIGHTS: dict[str, float] = {
    "recency": 35.0,
    "frequency": 25.0,
    "monetary": 15.0,
    "keep_rate": 15.0,
    "rating": 10.0,
}


@dataclass(frozen=True)
class EngagementScore:
    """The total score and each 0-100 component (NaN where missing)."""

    total: np.ndarray
    recency: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray
    keep_rate: np.ndarray
    rating: np.ndarray
    weights: dict[str, float]


def _percentile_score(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Return 100 * mid-rank percentile among the finite values, NaN elsewhere."""
    from scipy import stats  # lazy: scipy.stats costs Django's start-up ~0.5 s

    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    n = int(ok.sum())
    if n == 0:
        return out
    ranks = stats.rankdata(values[ok] if higher_is_better else -values[ok])
    out[ok] = 100.0 * (ranks - 0.5) / n
    return out


def _optional(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return np.asarray(values, dtype=np.float64)


def engagement_score(
    *,
    days_since_last_order: np.ndarray,
    frequency: np.ndarray,
    monetary: np.ndarray | None = None,
    items_kept: np.ndarray | None = None,
    items_sent: np.ndarray | None = None,
    mean_rating: np.ndarray | None = None,
    weights: dict[str, float] | None = None,
) -> EngagementScore:
    """Score engagement 0-100 from RFM and the Fix signals.

    ``days_since_last_order`` may be in any time unit (only ranks matter).
    Pass NaN for a missing monetary value or rating, and ``items_sent == 0``
    for a client never sent a box; those components are reweighted away.
    """
    recency_raw = np.asarray(days_since_last_order, dtype=np.float64)
    n = recency_raw.size
    return engagement_combine(
        components={
            "recency": _percentile_score(recency_raw, higher_is_better=False),
            "frequency": _percentile_score(
                np.asarray(frequency, dtype=np.float64), higher_is_better=True
            ),
            "monetary": _percentile_score(
                _optional(monetary, n), higher_is_better=True
            ),
            **fix_components(
                items_kept=_optional(items_kept, n),
                items_sent=_optional(items_sent, n),
                mean_rating=_optional(mean_rating, n),
            ),
        },
        weights=weights,
    )


def fix_components(
    *, items_kept: np.ndarray, items_sent: np.ndarray, mean_rating: np.ndarray
) -> dict[str, np.ndarray]:
    """Return the absolute-scale components: keep rate and feedback, 0-100 or NaN."""
    kept = np.asarray(items_kept, dtype=np.float64)
    sent = np.asarray(items_sent, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(sent > 0, 100.0 * np.clip(kept / sent, 0.0, 1.0), np.nan)
    rating = np.asarray(mean_rating, dtype=np.float64)
    return {
        "keep_rate": keep,
        "rating": 100.0 * (np.clip(rating, 1.0, 5.0) - 1.0) / 4.0,
    }


def engagement_combine(
    *, components: dict[str, np.ndarray], weights: dict[str, float] | None = None
) -> EngagementScore:
    """Weight the components a client has; missing ones (NaN) drop out."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    if set(weights) != set(DEFAULT_WEIGHTS) or min(weights.values()) < 0:
        raise ValueError(f"weights must be non-negative for {sorted(DEFAULT_WEIGHTS)}")
    n = next(iter(components.values())).size
    numerator = np.zeros(n)
    denominator = np.zeros(n)
    for name, values in components.items():
        present = np.isfinite(values)
        numerator += np.where(present, weights[name] * values, 0.0)
        denominator += np.where(present, weights[name], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(denominator > 0, numerator / denominator, np.nan)
    return EngagementScore(total=total, weights=weights, **components)
