"""The one place churn risk is fitted and predicted (pure, no Django).

``churn_fit`` learns from the book's own past: client x cut-off rows (features
from orders on or before the cut-off, label "no order in the next horizon"),
then a time-split backtest inside that history (train on the cut-offs whose
labels ended by the latest, evaluate on the latest) compares gradient-boosted
trees (LightGBM), BG/NBD's P(no order) and two simple baselines, and ``auto``
ships the simplest that ranks within the backtest's noise of the best
(``scoring.churn_selection``): never a ranking the same backtest shows is
worse. The latest cut-off's rows also give the calibration's slope (Platt
scaling on the log-odds, which keeps the ranking intact); its level is the
one at ``as_of`` (BG/NBD there, corrected by its held-out error:
``scoring.churn_level``).
``churn_predict`` applies a fit.

LightGBM rather than scikit-learn's HistGradientBoosting: faster training on
a million rows, and per-feature contributions (tree SHAP,
``pred_contrib=True``) for the per-client reasons; sklearn's HGB has none.
Version 3.3.5, the newest that loads on Lambda's python3.11 (README "Why
LightGBM").
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from scoring.backtest import roc_auc
from scoring.bgnbd import BgNbdParams, bgnbd_fit, bgnbd_predict
from scoring.churn_features import (
    FEATURES,
    MONOTONE_INCREASING,
    FeatureRows,
    OrderHistory,
    churn_features_at,
    churn_labels,
)
from scoring.churn_level import (
    churn_level_shift,
    logit,
    logit_shift_to_mean,
    logit_shifted,
)
from scoring.lightgbm_loader import lightgbm_import

MODELS = ("bgnbd", "gbdt", "baseline_recency", "baseline_rfm")
CUTOFF_STEP_DAYS = 28
MAX_CUTOFFS = 13  # every 4 weeks over the last year
MIN_CUTOFFS = 3  # at least two to train on and one to evaluate
MIN_FEATURE_HISTORY_DAYS = 56  # the first cut-off sees at least 8 weeks of orders
_GBDT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.08,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "seed": 7,
}
_GBDT_ROUNDS = 120
# One thread: on a shared 2-core box OpenMP's spinning threads made training
# 11x slower (110 s against 10 s for 587k rows); Lambda gives one vCPU per
# 1,769 MB anyway.


@dataclass(frozen=True)
class CandidateFigures:
    """How one ranking did on the held-out cut-off."""

    auc: float
    lift_quality: float
    mean_predicted: float | None
    actual: float


@dataclass
class ChurnFit:
    """A fitted churn ranking, its calibration and the evidence for it.

    ``model`` is what scores (one of ``MODELS``); ``booster`` the LightGBM
    model text when the trees were trained (kept even if they lost, for the
    record); ``calibrator`` maps the model's raw score to P(no order in
    ``horizon``); ``backtest`` holds every candidate's figures on the held-out
    cut-off, ``reason`` why this model was chosen.
    """

    model: str
    horizon: int
    train_horizon: int
    bgnbd: BgNbdParams | None
    booster: str | None = None
    calibrator: dict[str, Any] = field(default_factory=dict)
    backtest: dict[str, CandidateFigures] = field(default_factory=dict)
    reason: str = ""
    cutoffs: tuple[int, ...] = ()
    backtest_cutoffs: tuple[int, ...] = ()
    train_rows: int = 0
    train_seconds: float = 0.0
    importances: dict[str, float] = field(default_factory=dict)
    calibration_table: list[dict[str, float]] = field(default_factory=list)
    reference: dict[str, list[float]] = field(default_factory=dict)
    _booster_obj: Any = field(default=None, repr=False, compare=False)

    def booster_load(self) -> Any:
        """Return the LightGBM booster (parsed once from its text)."""
        if self._booster_obj is None and self.booster:
            lgb = lightgbm_import()
            self._booster_obj = lgb.Booster(model_str=self.booster)
        return self._booster_obj


# ---- metrics ---------------------------------------------------------------


def lift_quality(*, target: np.ndarray, score: np.ndarray) -> float:
    """Return Braze-style prediction quality: mean lift over all audience sizes.

    For every audience size k = 1..n (the k riskiest by ``score``), precision@k
    is the share of churners in it. Quality = (mean_k precision@k - base rate) /
    (mean_k best possible precision@k - base rate): 0 for a random ranking, 1
    for a perfect one, negative for worse than random. Ties are broken by
    averaging over them (a constant score scores 0).
    """
    target = np.asarray(target, dtype=np.float64)
    n = target.size
    base = target.mean() if n else float("nan")
    if n == 0 or base in (0.0, 1.0):
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    s = np.asarray(score, dtype=np.float64)[order]
    t = target[order]
    # Within a run of tied scores every member counts the run's mean label.
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    run_id = np.cumsum(np.r_[True, s[1:] != s[:-1]]) - 1
    run_mean = np.add.reduceat(t, starts) / np.diff(np.r_[starts, n])
    k = np.arange(1, n + 1)
    model = np.mean(np.cumsum(run_mean[run_id]) / k)
    best = np.mean(np.minimum(k, target.sum()) / k)
    return float((model - base) / (best - base))


def _figures(target: np.ndarray, score: np.ndarray, prob: np.ndarray | None):
    return CandidateFigures(
        auc=roc_auc(target=target, score=score),
        lift_quality=lift_quality(target=target, score=score),
        mean_predicted=None if prob is None else float(np.mean(prob)),
        actual=float(np.mean(target)),
    )


# ---- calibration -----------------------------------------------------------


def _platt_fit(z: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Fit P(y) = sigmoid(a*z + b) by maximum likelihood (a >= 0 keeps order)."""
    mu, sd = float(np.mean(z)), float(np.std(z) or 1.0)
    zs = (z - mu) / sd

    def nll(theta: np.ndarray) -> float:
        eta = theta[0] * zs + theta[1]
        return float(np.sum(np.logaddexp(0, eta) - y * eta))

    res = optimize.minimize(
        nll,
        np.array([1.0, 0.0]),
        method="L-BFGS-B",
        bounds=[(1e-6, None), (None, None)],
    )
    return {
        "kind": "platt",
        "a": float(res.x[0]) / sd,
        "b": float(res.x[1]) - float(res.x[0]) * mu / sd,
    }


def _calibrate(cal: dict[str, Any], z: np.ndarray) -> np.ndarray:
    if cal.get("kind") == "platt":
        return 1.0 / (1.0 + np.exp(-(cal["a"] * z + cal["b"])))
    if cal.get("kind") == "quantile":
        return np.interp(z, cal["x"], cal["y"])
    return z


# ---- raw scores --------------------------------------------------------------


def _bg_fill(
    rows: FeatureRows, horizon: int, params: BgNbdParams | None
) -> BgNbdParams:
    """Fill the BG/NBD columns of ``rows`` (fitting on them unless ``params``)."""
    args = {"frequency": rows.frequency, "recency": rows.recency, "T": rows.T}
    if params is None:
        params = bgnbd_fit(**args)
    pred = bgnbd_predict(params=params, horizon=float(horizon), **args)
    rows.X[:, FEATURES.index("bg_p_alive")] = pred.p_alive
    rows.X[:, FEATURES.index("bg_expected")] = pred.expected_purchases
    rows.X[:, FEATURES.index("bg_p_none")] = pred.churn_risk
    return params


def _percentile(values: np.ndarray, reference: list[float]) -> np.ndarray:
    """Return each value's percentile in a quantile grid, mid-rank on ties.

    A value many clients share (one order, so frequency 0) sits on a run of
    equal grid points; it gets the middle of the run, as ranks do, and not
    whichever end interpolation lands on (that skewed the rank sum's weights).
    """
    ref = np.asarray(reference, dtype=np.float64)
    grid = np.linspace(0.0, 1.0, ref.size)
    lo = np.searchsorted(ref, values, side="left")
    hi = np.searchsorted(ref, values, side="right")
    tied = hi > lo
    mid = (grid[np.minimum(lo, ref.size - 1)] + grid[np.maximum(hi - 1, 0)]) / 2
    return np.where(tied, mid, np.interp(values, ref, grid))


def _quantiles(values: np.ndarray) -> list[float]:
    return np.quantile(values, np.linspace(0, 1, 201)).tolist()


def _raw_score(
    fit: ChurnFit,
    rows: FeatureRows,
    model: str,
    reference: dict[str, list[float]] | None = None,
) -> np.ndarray:
    """Higher = riskier, before calibration (log-odds for the trees).

    The rank sum ranks against ``reference`` (default: the fit's grid at the
    scoring date); a backtest passes the held-out cut-off's own grid.
    """
    if model == "gbdt":
        return fit.booster_load().predict(rows.X, raw_score=True)
    if model == "bgnbd":
        return logit(rows.column("bg_p_none"))
    if model == "baseline_recency":
        return np.log1p(rows.column("days_since_last"))
    # RFM rank sum: days since the last order plus fewest repeat orders.
    ref = reference or fit.reference
    return _percentile(rows.column("days_since_last"), ref["days_since_last"]) + (
        1.0 - _percentile(rows.column("frequency"), ref["frequency"])
    )


def _gbdt_train(x: np.ndarray, y: np.ndarray) -> Any:
    lgb = lightgbm_import()
    params = dict(_GBDT_PARAMS)
    params["monotone_constraints"] = [
        1 if name in MONOTONE_INCREASING else 0 for name in FEATURES
    ]
    # Small books: shallower, fewer trees (CDNOW trains on ~4,000 rows).
    small = y.size < 20_000
    params["min_data_in_leaf"] = 100 if small else 40
    params["num_leaves"] = 4 if small else 15
    rounds = 150 if small else _GBDT_ROUNDS
    data = lgb.Dataset(x, label=y.astype(np.float64), feature_name=list(FEATURES))
    return lgb.train(params, data, num_boost_round=rounds)


# ---- fit -------------------------------------------------------------------


def churn_cutoffs(*, first_day: int, as_of: int, horizon: int) -> tuple[list[int], int]:
    """Return the training cut-offs (oldest first) and the label horizon.

    Labels must end by ``as_of``. A book younger than a year plus the horizon
    gets fewer cut-offs; one too young for even ``MIN_CUTOFFS`` at the full
    horizon trains on a shorter one (the ranking, not the level, is what
    transfers; the level is then mapped onto BG/NBD's, see ``churn_fit``).
    """
    span = as_of - first_day - MIN_FEATURE_HISTORY_DAYS
    room = span - (MIN_CUTOFFS - 1) * CUTOFF_STEP_DAYS
    train_horizon = int(min(horizon, max(room, 0)))
    if train_horizon < min(horizon, CUTOFF_STEP_DAYS):
        return [], train_horizon
    last = as_of - train_horizon
    cutoffs = [last - i * CUTOFF_STEP_DAYS for i in range(MAX_CUTOFFS)]
    cutoffs = [c for c in cutoffs if c >= first_day + MIN_FEATURE_HISTORY_DAYS]
    return sorted(cutoffs), train_horizon


def churn_features(
    *,
    history: OrderHistory,
    as_of: int,
    horizon: int,
    bgnbd: BgNbdParams | None,
    reference: dict[str, list[float]] | None = None,
) -> tuple[FeatureRows, BgNbdParams]:
    """Return the features of every client at ``as_of`` (BG/NBD filled in).

    ``reference`` (a stored fit's rank grid) ranks a few clients scored alone
    against the whole book.
    """
    rows = churn_features_at(history=history, cutoff=as_of, reference=reference)
    params = _bg_fill(rows, horizon, bgnbd)
    return rows, params


def churn_fit(
    *,
    history: OrderHistory,
    as_of: int,
    horizon: int,
    model: str = "auto",
    min_clients: int = 500,
    min_history_days: int = 180,
    bgnbd: BgNbdParams | None = None,
) -> ChurnFit:
    """Learn churn risk from ``history`` up to ``as_of`` (days; labels never later).

    1. Cut-offs every 4 weeks over the last year whose label window ends by
       ``as_of``; features and labels per (client, cut-off).
    2. Train the trees on the cut-offs whose labels end by the latest (purged
       split); on the latest, compare them with BG/NBD (fitted on the same
       cut-off's data) and the baselines.
    3. ``auto`` ships the simplest ranking within DeLong noise of the best AUC
       (``model`` forces one; trees with no purged training set are no
       candidate); a book smaller than ``min_clients`` or younger than
       ``min_history_days`` uses BG/NBD. Shipped trees are refitted on every
       cut-off.
    4. Calibrate: Platt's slope on the latest cut-off, the mean at ``as_of``
       set to BG/NBD's P(no order in ``horizon``) there, shifted by BG/NBD's
       error on the latest cut-off (``churn_level_shift``: with labels shorter
       than ``horizon``, the error extrapolated in label length to it). When
       labels had to be shorter, map the score's quantiles onto that shifted
       BG/NBD.
    """
    if model not in ("auto", *MODELS):
        raise ValueError(f"model must be auto or one of {MODELS}, got {model!r}")
    started = time.perf_counter()
    now_rows, params = churn_features(
        history=history, as_of=as_of, horizon=horizon, bgnbd=bgnbd
    )
    fit = ChurnFit(model="bgnbd", horizon=horizon, train_horizon=horizon, bgnbd=params)
    fit.reference = {
        "days_since_last": _quantiles(now_rows.column("days_since_last")),
        "frequency": _quantiles(now_rows.column("frequency")),
    }
    first_day = int(history.day.min()) if history.day.size else as_of
    cutoffs, train_horizon = churn_cutoffs(
        first_day=first_day, as_of=as_of, horizon=horizon
    )
    fit.train_horizon = train_horizon
    n_clients = len(now_rows.client)
    too_small = n_clients < min_clients or as_of - first_day < min_history_days
    if len(cutoffs) < 2 or (too_small and model == "auto"):
        fit.reason = (
            f"book too small or young for the trees ({n_clients} clients, "
            f"{as_of - first_day} days of history; need {min_clients} and "
            f"{min_history_days}): BG/NBD"
        )
        return fit
    if model == "bgnbd":
        fit.reason = "BG/NBD requested"
        return fit

    blocks = []
    cutoff_bgnbd = []
    for cutoff in cutoffs:
        rows = churn_features_at(history=history, cutoff=cutoff)
        if rows.client.size < 2:
            continue
        cutoff_bgnbd.append(_bg_fill(rows, train_horizon, None))
        blocks.append(
            (rows, churn_labels(history=history, rows=rows, horizon=train_horizon))
        )
    if len(blocks) < 2:
        fit.reason = "too few usable cut-offs: BG/NBD"
        return fit
    (*train, (held, y_held)) = blocks
    # Purged split: the backtest's trees learn only from labels that ended by
    # the held-out cut-off, as the shipped trees learn only from labels that
    # ended by ``as_of``. Overlapping label windows share the same weeks
    # (a season, a promotion) and flatter the trees.
    purged = [(r, lab) for r, lab in train if r.cutoff + train_horizon <= held.cutoff]
    overlap = not purged
    backtest_train = train if overlap else purged
    booster = _gbdt_train(
        np.vstack([r.X for r, _ in backtest_train]),
        np.concatenate([lab for _, lab in backtest_train]),
    )
    fit.booster = booster.model_to_string()
    fit._booster_obj = booster
    fit.cutoffs = tuple(rows.cutoff for rows, _ in blocks)
    fit.backtest_cutoffs = tuple(r.cutoff for r, _ in backtest_train)

    held_ref = {
        "days_since_last": _quantiles(held.column("days_since_last")),
        "frequency": _quantiles(held.column("frequency")),
    }
    raw = {name: _raw_score(fit, held, name, held_ref) for name in MODELS}
    probs = {
        name: _calibrate(_platt_fit(raw[name], y_held), raw[name]) for name in MODELS
    }
    probs["bgnbd"] = held.column("bg_p_none")
    fit.backtest = {name: _figures(y_held, raw[name], probs[name]) for name in MODELS}
    fit.backtest["bgnbd_expected_orders"] = _figures(
        y_held, -held.column("bg_expected"), None
    )
    if model == "auto":
        # Here, not at the top: it imports scipy.stats (Django's start-up).
        from scoring.churn_selection import churn_model_choose

        candidates = [n for n in MODELS if not (overlap and n == "gbdt")]
        chosen, fit.reason = churn_model_choose(
            target=y_held,
            scores={n: raw[n] for n in candidates},
            aucs={n: fit.backtest[n].auc for n in candidates},
        )
        fit.reason += "; " + ", ".join(
            f"{n} {fit.backtest[n].auc:.3f}" for n in MODELS if n != chosen
        )
        if overlap:
            fit.reason += (
                f" (trees not a candidate: no cut-off's {train_horizon}-day labels "
                "end by the held-out cut-off, so their backtest would be flattered)"
            )
    else:
        chosen = model
        fit.reason = f"{model} requested"
    if chosen == "gbdt":
        # Ship trees that learned from every cut-off (all labels end by as_of).
        x = np.vstack([r.X for r, _ in blocks])
        y = np.concatenate([lab for _, lab in blocks])
        booster = _gbdt_train(x, y)
        fit.booster = booster.model_to_string()
        fit._booster_obj = booster
        fit.train_rows = int(y.size)
        # Calibrated on the held-out rows it has now seen (in-sample, as before).
        raw["gbdt"] = _raw_score(fit, held, "gbdt")
    else:
        fit.train_rows = int(sum(lab.size for _, lab in backtest_train))
    gain = booster.feature_importance(importance_type="gain")
    total = float(gain.sum()) or 1.0
    fit.importances = {
        name: round(float(g) / total, 4)
        for name, g in sorted(zip(FEATURES, gain, strict=True), key=lambda t: -t[1])
    }
    fit.model = chosen
    # The level at as_of: BG/NBD's P(no order in the horizon) there, corrected
    # by the error BG/NBD made on the held-out cut-off (at the horizon: with
    # shorter labels, extrapolated in label length; ``scoring.churn_level``).
    delta = churn_level_shift(
        history=history,
        held=held,
        held_labels=y_held,
        held_bgnbd=cutoff_bgnbd[-1],
        train_horizon=train_horizon,
        horizon=horizon,
    )
    now_level = logit_shifted(now_rows.column("bg_p_none"), delta)
    if chosen == "bgnbd":
        fit.calibrator = {"kind": "logit_shift", "delta": delta}
        held_prob = logit_shifted(probs["bgnbd"], delta)
    else:
        scored = (
            _with_bg(now_rows, fit)
            if chosen == "gbdt" and train_horizon != horizon
            else now_rows
        )
        now_raw = _raw_score(fit, scored, chosen)
        if train_horizon == horizon:
            # Platt's slope from the held-out labels (how sharply risk rises with
            # the score), its intercept moved so the mean at as_of is the level.
            platt = _platt_fit(raw[chosen], y_held)
            held_prob = _calibrate(platt, raw[chosen])
            fit.calibrator = {
                **platt,
                "b": platt["b"]
                + logit_shift_to_mean(
                    _calibrate(platt, now_raw), float(np.mean(now_level))
                ),
            }
        else:
            # Labels shorter than the horizon: keep the ranking, take the level
            # and spread of the corrected BG/NBD at as_of (quantile to quantile).
            grid = np.linspace(0, 1, 201)
            fit.calibrator = {
                "kind": "quantile",
                "x": np.quantile(now_raw, grid).tolist(),
                "y": np.quantile(now_level, grid).tolist(),
            }
            fit.reason += (
                f"; labels of {train_horizon} days (the history is too short for "
                f"{horizon}), level mapped onto BG/NBD's"
            )
            held_prob = _calibrate(fit.calibrator, raw[chosen])
    fit.calibration_table = calibration_deciles(target=y_held, prob=held_prob)
    fit.train_seconds = time.perf_counter() - started
    return fit


def calibration_deciles(
    *, target: np.ndarray, prob: np.ndarray
) -> list[dict[str, float]]:
    """Return mean predicted vs actual churn per decile of ``prob`` (1 = riskiest)."""
    order = np.argsort(-prob, kind="stable")
    return [
        {
            "decile": i,
            "n": int(idx.size),
            "predicted": round(float(prob[idx].mean()), 4),
            "actual": round(float(np.mean(target[idx])), 4),
        }
        for i, idx in enumerate(np.array_split(order, 10), start=1)
        if idx.size
    ]


# ---- predict -----------------------------------------------------------------

# Feature families a reason talks about; contributions are summed per family.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "cadence": (
        "days_since_last",
        "overdue",
        "typical_gap",
        "gap_cv",
        "recency_share",
        "recency_rank",
    ),
    "slowing": ("orders_30", "orders_90", "orders_180", "recent_rate_ratio"),
    "few_orders": (
        "frequency",
        "frequency_rank",
        "tenure",
        "bg_p_alive",
        "bg_expected",
        "bg_p_none",
    ),
    "keeping": (
        "keep_rate",
        "last_keep_rate",
        "kept_last2",
        "sent_last2",
        "last_returned_all",
    ),
    "rating": ("mean_rating", "last_rating", "rating_trend"),
    "spend": ("monetary",),
}
MAX_REASONS = 3


def _weeks(days: float) -> str:
    weeks = round(days / 7)
    return f"{weeks} week{'s' if weeks != 1 else ''}"


def churn_reason_text(family: str, values: dict[str, float]) -> str | None:
    """Return a plain-words reason for ``family`` from one client's features."""
    v = values
    if family == "cadence":
        overdue_days = v["days_since_last"] - v["typical_gap"]
        if math.isfinite(v["typical_gap"]) and overdue_days > 0:
            cadence = max(1, round(v["typical_gap"] / 7))
            return f"{_weeks(overdue_days)} overdue against a {cadence}-week cadence"
        return f"no order for {_weeks(v['days_since_last'])}"
    if family == "slowing":
        return (
            f"{int(v['orders_180'])} order{'s' if v['orders_180'] != 1 else ''} in "
            "the last 6 months, fewer than before"
            if math.isfinite(v["recent_rate_ratio"]) and v["recent_rate_ratio"] < 1
            else f"{int(v['orders_90'])} orders in the last 3 months"
        )
    if family == "few_orders":
        orders = int(v["frequency"]) + 1
        return f"only {orders} order{'s' if orders > 1 else ''} so far"
    if family == "keeping":
        if math.isfinite(v["sent_last2"]) and v["sent_last2"] > 0:
            last = "the last 2 Fixes" if v["frequency"] >= 1 else "the last Fix"
            if v["kept_last2"] == 0:
                return f"kept nothing from {last}"
            return (
                f"kept {int(v['kept_last2'])} of {int(v['sent_last2'])} items in {last}"
            )
        return None
    if family == "rating":
        if math.isfinite(v["rating_trend"]) and v["rating_trend"] < 0:
            before = v["last_rating"] - v["rating_trend"]
            return f"rating fell from {before:.1f} to {v['last_rating']:.0f}"
        if math.isfinite(v["mean_rating"]):
            return f"average rating {v['mean_rating']:.1f} of 5"
        return None
    if family == "spend":
        return f"average order ${v['monetary']:.0f}"
    return None


def churn_reasons(
    fit: ChurnFit, rows: FeatureRows, limit: int | None = None
) -> list[list[str]]:
    """Return up to ``MAX_REASONS`` plain-words reasons per row (trees only).

    From LightGBM's per-feature contributions (tree SHAP): the families that
    push this client's risk up most, biggest first.
    """
    n = rows.client.size if limit is None else min(limit, rows.client.size)
    if fit.model != "gbdt" or n == 0:
        return [[] for _ in range(n)]
    contrib = fit.booster_load().predict(rows.X[:n], pred_contrib=True)[:, :-1]
    index = {name: i for i, name in enumerate(FEATURES)}
    names = list(_FAMILIES)
    by_family = np.column_stack(
        [contrib[:, [index[f] for f in _FAMILIES[fam]]].sum(axis=1) for fam in names]
    )
    top = np.argsort(-by_family, axis=1)
    out = []
    for i in range(n):
        values = dict(zip(FEATURES, rows.X[i].tolist(), strict=True))
        reasons: list[str] = []
        for j in top[i]:
            # The first that can be said always: a client at the book's base
            # rate still has a biggest factor, even if nothing pushes them
            # above it; a family with nothing to say (no settled Fix, no
            # rating) gives way to the next one.
            if (reasons and by_family[i, j] <= 0) or len(reasons) == MAX_REASONS:
                break
            text = churn_reason_text(names[j], values)
            if text:
                reasons.append(text)
        out.append(reasons)
    return out


def churn_predict(fit: ChurnFit, rows: FeatureRows) -> np.ndarray:
    """Return calibrated P(no order in ``fit.horizon``) for each row.

    ``rows`` must have their BG/NBD columns filled for ``fit.horizon``
    (``churn_features``); with BG/NBD shipped that column is the answer.
    """
    if fit.model == "bgnbd":
        delta = fit.calibrator.get("delta", 0.0)
        return np.clip(logit_shifted(rows.column("bg_p_none"), delta), 0.0, 1.0)
    if fit.train_horizon != fit.horizon and fit.model in ("gbdt",):
        # The trees were trained with features for the shorter label horizon.
        rows = _with_bg(rows, fit)
    return np.clip(_calibrate(fit.calibrator, _raw_score(fit, rows, fit.model)), 0, 1)


def _with_bg(rows: FeatureRows, fit: ChurnFit) -> FeatureRows:
    copy = FeatureRows(
        rows.client, rows.X.copy(), rows.frequency, rows.recency, rows.T, rows.cutoff
    )
    _bg_fill(copy, fit.train_horizon, fit.bgnbd)
    return copy


def churn_fit_details(fit: ChurnFit) -> dict[str, Any]:
    """Return what a ``ModelFit`` stores beside the booster text (JSON-able)."""

    def clean(value: float | None) -> float | None:
        return None if value is None or not math.isfinite(value) else round(value, 4)

    return {
        "reason": fit.reason,
        "horizon": fit.horizon,
        "train_horizon": fit.train_horizon,
        "calibrator": fit.calibrator,
        "reference": fit.reference,
        "backtest": {
            name: {k: clean(v) for k, v in vars(fig).items()}
            for name, fig in fit.backtest.items()
        },
        "calibration": fit.calibration_table,
        "importances": fit.importances,
        "cutoffs": list(fit.cutoffs),
        "backtest_cutoffs": list(fit.backtest_cutoffs),
        "train_rows": fit.train_rows,
        "train_seconds": round(fit.train_seconds, 3),
    }


def churn_fit_load(
    *, model: str, booster: str, details: dict[str, Any], bgnbd: BgNbdParams
) -> ChurnFit:
    """Rebuild a stored fit (the inverse of ``churn_fit_details``)."""
    return ChurnFit(
        model=model,
        horizon=int(details.get("horizon", 0)),
        train_horizon=int(details.get("train_horizon", details.get("horizon", 0))),
        bgnbd=bgnbd,
        booster=booster or None,
        calibrator=details.get("calibrator", {}),
        reason=details.get("reason", ""),
        reference=details.get("reference", {}),
        importances=details.get("importances", {}),
        calibration_table=details.get("calibration", []),
        train_rows=int(details.get("train_rows", 0)),
    )
