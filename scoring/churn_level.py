"""The level of churn risk at the scoring date (pure numpy, no Django).

The ranking comes from whichever model ships; the level (the book's mean
P(no order in the horizon)) is BG/NBD's at the scoring date, shifted in logit
by the error BG/NBD made on the held-out cut-off's labels. BG/NBD carries how
the book aged since that cut-off; the held-out labels say how far off its
level runs on this book.

A book too young for labels as long as the horizon (CDNOW at 39 weeks: 160-day
labels) needs the error at the horizon, not at the shorter label length: it is
measured at several label lengths up to the longest that fits and extrapolated
linearly in label length. BG/NBD's error moves with the label length because
its dropout assumption bends its no-order curve away from the book's. Holding
it constant was 7-10 points low on simulated young books (the line: within
2.4). Beyond the longest label the slope counts only as far as it stands out
of the errors' scatter about the line (shrunk by 1 - se^2 / slope^2): CDNOW
from 1997-06-30 at 39 weeks, 68-day labels whose errors wander, went from 5.5
points low to 1.8, and CDNOW's 11 extrapolated backtests (ends 1997-06-30 to
1997-09-30) from 2.0 points off on average to 1.4, the simulated books as
before (within 0.1 point). Trends across
cut-off dates, a mean error over cut-offs or label lengths, refitting BG/NBD's
curve (rate and P(alive)) to the held-out labels, a slope pooled over
cut-offs, the error against log(label length) or against BG/NBD's own
P(no order) at each length (5-6 points low on the simulated books), more or
weekly label lengths, a cap on the distance, weights by length, and errors of
the as_of fit on the held-out rows did worse over both. Neither this nor
anything tried reaches a level of full-length labels whose error turns with
the season (CDNOW from 1998-03-31 at 13 weeks: 3.7 points low).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from scoring.bgnbd import BgNbdParams, bgnbd_predict
from scoring.churn_features import FeatureRows, OrderHistory, churn_labels

LABEL_LENGTHS = 4  # label lengths the error is measured at, up to the longest


def logit(p: np.ndarray) -> np.ndarray:
    """Return log(p / (1 - p)), p clipped away from 0 and 1."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def logit_shifted(p: np.ndarray, delta: float) -> np.ndarray:
    """Return ``p`` moved by ``delta`` on the logit scale (order kept)."""
    return 1.0 / (1.0 + np.exp(-(logit(p) + delta)))


def logit_shift_to_mean(p: np.ndarray, target: float) -> float:
    """Return d such that mean(sigmoid(logit(p) + d)) == target (0 if undefined)."""
    if p.size == 0 or not 0.0 < target < 1.0:
        return 0.0
    return float(
        optimize.brentq(lambda d: float(np.mean(logit_shifted(p, d))) - target, -30, 30)
    )


def _bgnbd_error(
    *, history: OrderHistory, rows: FeatureRows, params: BgNbdParams, length: int
) -> float:
    """Return BG/NBD's logit error on ``rows``' no-order rate over ``length`` days."""
    predicted = bgnbd_predict(
        params=params,
        frequency=rows.frequency,
        recency=rows.recency,
        T=rows.T,
        horizon=float(length),
    ).churn_risk
    labels = churn_labels(history=history, rows=rows, horizon=length)
    return logit_shift_to_mean(predicted, float(np.mean(labels)))


def churn_level_shift(
    *,
    history: OrderHistory,
    held: FeatureRows,
    held_labels: np.ndarray,
    held_bgnbd: BgNbdParams,
    train_horizon: int,
    horizon: int,
) -> float:
    """Return the logit shift for BG/NBD's P(no order in ``horizon``) at as_of.

    ``held`` is the held-out cut-off's rows (BG/NBD columns for
    ``train_horizon``, from ``held_bgnbd`` fitted at that cut-off) and
    ``held_labels`` their ``train_horizon``-day labels. With labels as long as
    the horizon that one error is the shift. With shorter ones the error is
    measured at ``LABEL_LENGTHS`` label lengths up to ``train_horizon`` (all
    ending by as_of) and its straight line in label length read at
    ``horizon``, the slope beyond the longest label shrunk by its scatter
    (``error_at_horizon``). (A slope pooled over every cut-off was steadier on small
    simulated books but further off on CDNOW, whose older cut-offs hold a
    younger cohort; on 20,000 clients the two agreed.)
    """
    shift = logit_shift_to_mean(held.column("bg_p_none"), float(np.mean(held_labels)))
    if train_horizon >= horizon:
        return shift
    lengths = np.unique(
        np.linspace(train_horizon / LABEL_LENGTHS, train_horizon, LABEL_LENGTHS)
        .round()
        .astype(np.int64)
    )
    lengths = lengths[(lengths > 0) & (lengths < train_horizon)]
    if lengths.size == 0:
        return shift
    errors = [
        _bgnbd_error(history=history, rows=held, params=held_bgnbd, length=int(n))
        for n in lengths
    ]
    return error_at_horizon(
        lengths=np.r_[lengths, train_horizon],
        errors=np.r_[errors, shift],
        horizon=horizon,
    )


def error_at_horizon(
    *, lengths: np.ndarray, errors: np.ndarray, horizon: float
) -> float:
    """Return the straight line of ``errors`` in label length read at ``horizon``.

    Beyond the longest label its slope counts only as far as the errors
    support it: it is shrunk by 1 - se^2 / slope^2 (se from the scatter of
    the errors about the line, at least 0), so a trend clear of the scatter
    is extrapolated whole and one within it stays at the line's value at the
    longest label. Read at 273 days from 68, CDNOW's bumpy errors otherwise
    put the level 5.5 points low.
    """
    x = np.asarray(lengths, dtype=np.float64)
    y = np.asarray(errors, dtype=np.float64)
    slope, intercept = np.polyfit(x, y, 1)
    longest = float(x.max())
    kept = 1.0
    if x.size > 2 and slope != 0.0:
        scatter = float(np.sum((y - (slope * x + intercept)) ** 2)) / (x.size - 2)
        slope_var = scatter / float(np.sum((x - x.mean()) ** 2))
        kept = max(0.0, 1.0 - slope_var / slope**2)
    beyond = max(float(horizon) - longest, 0.0)
    return float(slope * longest + intercept + kept * slope * beyond)
