"""Engagement scores on a stored population scale.

A full scoring run ranks every client against the whole book. A client rescored
alone between runs (after an order) is placed on the same scale through the run's
stored quantiles, so the two ways of scoring agree.
"""

from __future__ import annotations

import numpy as np

from .distinct import small_int_values
from .engagement import EngagementScore, engagement_combine, fix_components

_LEVELS = np.linspace(0.0, 1.0, 101)
RANKED = ("recency", "frequency", "monetary")


def engagement_reference_build(
    *, days_since_last_order: np.ndarray, frequency: np.ndarray, monetary: np.ndarray
) -> dict[str, list[float]]:
    """Return 101 quantiles of each ranked input (JSON-able)."""
    reference = {}
    for name, values in zip(
        RANKED, (days_since_last_order, frequency, monetary), strict=True
    ):
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        reference[name] = (
            np.quantile(finite, _LEVELS).tolist() if finite.size else [0.0] * 101
        )
    return reference


def _percentile(values: np.ndarray, quantiles: list[float]) -> np.ndarray:
    """Return 0-100: the share of the reference population at or below each value.

    Ties take the middle of their run of equal quantiles, like mid-ranks.
    Whole days and order counts take few distinct values, so those are
    scored once per distinct value and gathered.
    """
    values = np.asarray(values, dtype=np.float64)
    table = small_int_values(values)
    if table is not None:
        uniques, codes = table
        return _percentile_rows(uniques, quantiles)[codes].reshape(values.shape)
    return _percentile_rows(values, quantiles)


def _percentile_rows(values: np.ndarray, quantiles: list[float]) -> np.ndarray:
    q = np.asarray(quantiles, dtype=np.float64)
    low = np.searchsorted(q, values, side="left")
    # A value equal to q[low] ends where that run of equal quantiles ends; any
    # other value has nothing equal to it (one search instead of two).
    run_end = np.searchsorted(q, q, side="right")
    at = np.minimum(low, q.size - 1)
    high = np.where(q[at] == values, run_end[at], low)
    # Between quantiles, interpolate; on a run of equal quantiles, take its middle.
    interpolated = np.interp(values, q, _LEVELS) if q[-1] > q[0] else _LEVELS[50]
    tied = high > low
    mid = (low + high - 1) / 2.0 / 100.0
    share = np.where(tied, np.clip(mid, 0.0, 1.0), interpolated)
    return np.where(np.isfinite(values), 100.0 * share, np.nan)


def engagement_score_with_reference(
    *,
    reference: dict[str, list[float]],
    days_since_last_order: np.ndarray,
    frequency: np.ndarray,
    monetary: np.ndarray,
    items_kept: np.ndarray,
    items_sent: np.ndarray,
    mean_rating: np.ndarray,
    weights: dict[str, float] | None = None,
) -> EngagementScore:
    """Score engagement 0-100 with ranked components read off ``reference``."""
    return engagement_combine(
        components={
            "recency": 100.0 - _percentile(days_since_last_order, reference["recency"]),
            "frequency": _percentile(frequency, reference["frequency"]),
            "monetary": _percentile(monetary, reference["monetary"]),
            **fix_components(
                items_kept=items_kept, items_sent=items_sent, mean_rating=mean_rating
            ),
        },
        weights=weights,
    )
