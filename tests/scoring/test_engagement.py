"""Engagement score components, weights and missing values."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.engagement import DEFAULT_WEIGHTS, engagement_score


def _score(**overrides):
    base = {
        "days_since_last_order": np.array([5.0, 50.0, 500.0]),
        "frequency": np.array([9.0, 3.0, 0.0]),
        "monetary": np.array([120.0, 60.0, np.nan]),
        "items_kept": np.array([4.0, 1.0, 0.0]),
        "items_sent": np.array([5.0, 5.0, 0.0]),
        "mean_rating": np.array([5.0, 3.0, np.nan]),
    }
    return engagement_score(**{**base, **overrides})


def test_components_are_0_to_100_and_ordered():
    """A recent, frequent, big spender outranks a lapsed client on each RFM part."""
    score = _score()
    for name in ("recency", "frequency", "monetary", "keep_rate", "rating"):
        values = getattr(score, name)
        finite = values[np.isfinite(values)]
        assert ((finite >= 0) & (finite <= 100)).all()
    assert score.recency[0] > score.recency[1] > score.recency[2]
    assert score.frequency[0] > score.frequency[1] > score.frequency[2]
    assert score.monetary[0] > score.monetary[1]
    assert score.total[0] > score.total[1] > score.total[2]


def test_fix_signals_use_absolute_scales():
    """Keep rate is kept/sent x 100; rating maps 1 -> 0 and 5 -> 100."""
    score = _score(mean_rating=np.array([5.0, 1.0, 3.0]))
    assert score.keep_rate[:2].tolist() == [80.0, 20.0]
    assert score.rating.tolist() == [100.0, 0.0, 50.0]


def test_total_is_weighted_mean_of_all_components():
    """With every signal present the total uses the documented weights."""
    score = _score()
    parts = {name: getattr(score, name)[0] for name in DEFAULT_WEIGHTS}
    expected = sum(DEFAULT_WEIGHTS[n] * parts[n] for n in parts) / sum(
        DEFAULT_WEIGHTS.values()
    )
    assert score.total[0] == pytest.approx(expected)


def test_missing_signals_are_reweighted_not_penalised():
    """No rating, no box and no spend drop out; the rest are renormalised."""
    score = _score()
    assert np.isnan(score.rating[2])
    assert np.isnan(score.keep_rate[2])
    assert np.isnan(score.monetary[2])
    w_r, w_f = DEFAULT_WEIGHTS["recency"], DEFAULT_WEIGHTS["frequency"]
    expected = (w_r * score.recency[2] + w_f * score.frequency[2]) / (w_r + w_f)
    assert score.total[2] == pytest.approx(expected)


def test_missing_rating_does_not_lower_the_score():
    """A client with no rating scores the same as if rated at their other average."""
    without = _score(mean_rating=np.array([np.nan, 3.0, np.nan]))
    others = ("recency", "frequency", "monetary", "keep_rate")
    rest = sum(DEFAULT_WEIGHTS[n] * getattr(without, n)[0] for n in others) / sum(
        DEFAULT_WEIGHTS[n] for n in others
    )
    rating_equivalent = 1 + 4 * rest / 100
    with_rating = _score(mean_rating=np.array([rating_equivalent, 3.0, np.nan]))
    assert without.total[0] == pytest.approx(with_rating.total[0])


def test_ties_share_a_percentile():
    """Clients with equal frequency get equal frequency scores."""
    score = engagement_score(
        days_since_last_order=np.array([1.0, 2.0, 3.0, 4.0]),
        frequency=np.array([2.0, 2.0, 5.0, 0.0]),
    )
    assert score.frequency[0] == score.frequency[1]
    assert score.frequency.tolist() == [50.0, 50.0, 87.5, 12.5]


def test_custom_weights_must_name_known_components():
    """An unknown weight name is rejected rather than silently ignored."""
    with pytest.raises(ValueError, match="weights"):
        _score(weights={"loyalty": 10.0})
