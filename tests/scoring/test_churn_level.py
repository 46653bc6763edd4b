"""The churn level at the scoring date on books where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.churn_features import OrderHistory, churn_labels
from scoring.churn_level import (
    churn_level_shift,
    error_at_horizon,
    logit_shift_to_mean,
)
from scoring.churn_pipeline import churn_features, churn_fit, churn_predict

START = 10_000  # day numbers of the simulated book


def _young_book(*, n: int, seed: int, life_days: float, days: int) -> OrderHistory:
    """Return a cohort that joined within 90 days, observed for ``days`` days.

    Pareto/NBD, not BG/NBD: each client buys as a Poisson process at a gamma
    rate and leaves after an exponential lifetime (at any moment, not only
    right after an order), so BG/NBD's level is off, and off by more the
    longer the window: the case where its error at short labels does not
    carry to a long horizon.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.6, 1 / 60.0, size=n)
    start = rng.integers(0, 90, size=n)
    death = start + rng.exponential(life_days, size=n)
    clients, order_days = [np.arange(n)], [start]
    t = start.astype(np.float64)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        t = t + rng.exponential(1 / rate)
        alive &= (t < death) & (t < days)
        clients.append(np.flatnonzero(alive))
        order_days.append(t[alive].astype(np.int64))
    key = np.unique(np.concatenate(clients) * 100_000 + np.concatenate(order_days))
    return OrderHistory.build(
        client=key // 100_000,
        day=START + key % 100_000,
        amount=np.ones(key.size),
        n_clients=n,
    )


def _until(history: OrderHistory, day: int) -> OrderHistory:
    keep = history.day <= day
    return OrderHistory(
        client=history.client[keep],
        day=history.day[keep],
        amount=history.amount[keep],
        items_sent=history.items_sent[keep],
        items_kept=history.items_kept[keep],
        rating=history.rating[keep],
        n_clients=history.n_clients,
    )


def test_young_book_level_reaches_a_horizon_longer_than_its_labels():
    """Books 200 days old scored for 273 days (labels fit 88 days only): the
    shipped mean churn risk is within 2 points of the simulated holdout's
    no-order rate on average over four books, 3 at worst. Holding BG/NBD's
    88-day error constant up to 273 days (the rule before) was 7-10 points
    low on every one."""
    as_of, horizon = START + 200, 273
    errors = []
    for seed in range(4):
        full = _young_book(n=12_000, seed=seed, life_days=200.0, days=200 + horizon + 1)
        history = _until(full, as_of)
        fit = churn_fit(
            history=history, as_of=as_of, horizon=horizon, model="baseline_rfm"
        )
        assert fit.train_horizon < horizon
        rows, _ = churn_features(
            history=history, as_of=as_of, horizon=horizon, bgnbd=fit.bgnbd
        )
        labels = churn_labels(history=full, rows=rows, horizon=horizon)
        errors.append(float(np.mean(churn_predict(fit, rows)) - np.mean(labels)))
    assert np.mean(np.abs(errors)) < 0.02, errors
    assert np.max(np.abs(errors)) < 0.03, errors


def test_labels_as_long_as_the_horizon_give_the_held_out_error_alone():
    """With full-length labels nothing is extrapolated: the shift is the one
    that sets BG/NBD's mean on the held-out cut-off to its no-order rate."""
    full = _young_book(n=2000, seed=3, life_days=300.0, days=400)
    held_day = START + 250
    history = _until(full, START + 340)
    rows, params = churn_features(
        history=_until(history, held_day), as_of=held_day, horizon=90, bgnbd=None
    )
    labels = churn_labels(history=history, rows=rows, horizon=90)
    held = {"history": history, "held": rows, "held_labels": labels}
    shift = churn_level_shift(**held, held_bgnbd=params, train_horizon=90, horizon=90)
    assert shift == pytest.approx(
        logit_shift_to_mean(rows.column("bg_p_none"), float(labels.mean()))
    )
    assert shift != 0.0


def test_a_clear_trend_in_label_length_is_extrapolated_whole():
    """Errors on a straight line (as on the simulated young books, where
    BG/NBD's error grows steadily with the label length) are read off that
    line at the horizon, however far beyond the longest label."""
    lengths = np.array([22.0, 44.0, 66.0, 88.0])
    errors = 0.05 + 0.004 * lengths + np.array([0.002, -0.002, -0.002, 0.002])
    value = error_at_horizon(lengths=lengths, errors=errors, horizon=273)
    slope, intercept = np.polyfit(lengths, errors, 1)
    assert value == pytest.approx(slope * 273 + intercept, abs=0.01)
    assert value > errors.max() + 0.6


def test_a_trend_within_the_scatter_is_not_carried_to_the_horizon():
    """CDNOW from 1997-06-30 (68-day labels, 273-day horizon): the errors
    wander (0.19, 0.14, 0.18, 0.03 at 17-68 days) and their line, read at 273
    days, put the level 5.5 points low. A slope hardly clearer than the
    scatter about the line counts only in part: the answer is between the
    line at the longest label and the line at the horizon, a quarter of the
    way back at least (here a third: the slope's t is 1.7)."""
    lengths = np.array([17.0, 34.0, 51.0, 68.0])
    errors = np.array([0.19, 0.14, 0.18, 0.03])
    slope, intercept = np.polyfit(lengths, errors, 1)
    at_longest, at_horizon = slope * 68 + intercept, slope * 273 + intercept
    value = error_at_horizon(lengths=lengths, errors=errors, horizon=273)
    assert at_horizon < value < at_longest
    assert value - at_horizon > 0.25 * (at_longest - at_horizon)


def test_no_trend_reads_the_line_at_the_longest_label():
    """A flat set of errors gives their line's value, not a trend."""
    lengths = np.array([20.0, 40.0, 60.0, 80.0])
    errors = np.array([0.1, 0.12, 0.08, 0.1])
    slope, intercept = np.polyfit(lengths, errors, 1)
    value = error_at_horizon(lengths=lengths, errors=errors, horizon=300)
    assert value == pytest.approx(slope * 80 + intercept)
