"""The churn pipeline on the database book: train on a sample, score everyone.

Set-based: one grouped query (``order_history``) per pass, features in numpy
(``scoring.churn_features``), no per-client Python loop except the reason texts
of the clients turned at risk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.conf import settings

from scoring.bgnbd import BgNbdParams
from scoring.churn_features import OrderHistory, history_clients
from scoring.churn_pipeline import (
    ChurnFit,
    churn_features,
    churn_fit,
    churn_fit_load,
    churn_predict,
    churn_reasons,
)
from scoring.models import ModelFit
from scoring.selectors import client_id_ranges, histories_join, order_history

_EPOCH = dt.date(1970, 1, 1)


def _day_number(day: dt.date) -> int:
    return (day - _EPOCH).days


def churn_train(
    *,
    as_of: dt.datetime,
    as_of_day: dt.date,
    n_clients: int,
    bgnbd: BgNbdParams,
    book: list[tuple[np.ndarray, OrderHistory]] | None = None,
) -> ChurnFit:
    """Fit the churn pipeline on a sample of the book (client x cut-off rows).

    ``SCORING_GBDT_TRAIN_CLIENTS`` clients (every k-th id) are plenty for the
    trees; the cut-offs multiply them into training rows. ``book`` (client ids,
    history per part) is the run's read of the order summaries; without it the
    sample is read from the orders.
    """
    every = max(1, n_clients // max(1, settings.SCORING_GBDT_TRAIN_CLIENTS))
    if book is None:
        _, history = order_history(as_of=as_of, sample_every=every)
    else:
        history = histories_join(
            [history_clients(history=h, keep=ids % every == 0) for ids, h in book]
        )
    return churn_fit(
        history=history,
        as_of=_day_number(as_of_day),
        horizon=int(settings.SCORING_HORIZON_DAYS),
        model=settings.SCORING_CHURN_MODEL,
        min_clients=settings.SCORING_GBDT_MIN_CLIENTS,
        min_history_days=settings.SCORING_GBDT_MIN_HISTORY_DAYS,
        bgnbd=bgnbd,
    )


def churn_trained_recently(*, fit: ModelFit | None, as_of: dt.datetime) -> bool:
    """Return whether ``fit``'s churn ranking is young enough to score again.

    Younger than ``SCORING_MODEL_RETRAIN_DAYS``, trained for the same model rule
    and horizon. Fits stored before the training date was recorded retrain.
    """
    days = settings.SCORING_MODEL_RETRAIN_DAYS
    details = (fit.churn_details or {}) if fit else {}
    trained = details.get("trained_at")
    if days <= 0 or not trained:
        return False
    return (
        details.get("trained_for") == settings.SCORING_CHURN_MODEL
        and details.get("horizon") == settings.SCORING_HORIZON_DAYS
        and as_of - dt.datetime.fromisoformat(trained) < dt.timedelta(days=days)
    )


def churn_fit_from_model_fit(fit: ModelFit, bgnbd: BgNbdParams) -> ChurnFit:
    """Return the churn ranking a stored fit ships."""
    return churn_fit_load(
        model=fit.churn_model,
        booster=fit.churn_booster,
        details=fit.churn_details or {"horizon": settings.SCORING_HORIZON_DAYS},
        bgnbd=bgnbd,
    )


def _churn_score_part(
    *,
    fit: ChurnFit,
    as_of: dt.datetime,
    as_of_day: dt.date,
    client_ids: np.ndarray,
    id_range: tuple[int, int] | None,
    single: bool,
    cap: int,
    part: tuple[np.ndarray, OrderHistory] | None = None,
) -> tuple[np.ndarray, dict[int, list[str]]] | None:
    """Score the clients of one id range (or the few given, or one read part)."""
    if client_ids.size == 0:
        return np.zeros(0), {}
    if part is None:
        ids, history = order_history(
            as_of=as_of,
            client_ids=client_ids.tolist() if single else None,
            id_range=id_range,
        )
    else:
        ids, history = part
    # Ranks against the fit's grid, so every part is on the whole book's scale.
    rows, _ = churn_features(
        history=history,
        as_of=_day_number(as_of_day),
        horizon=fit.horizon,
        bgnbd=fit.bgnbd,
        reference=fit.reference,
    )
    del history
    risk_rows = churn_predict(fit, rows)
    row_ids = ids[rows.client]
    # Both come from the same filters, so the rows line up; an order written
    # in between may add a client the aggregation did not see.
    take = np.clip(np.searchsorted(row_ids, client_ids), 0, max(row_ids.size - 1, 0))
    if row_ids.size == 0 or not (row_ids[take] == client_ids).all():
        return None
    risk = risk_rows[take]
    flagged = np.flatnonzero(risk >= settings.SCORING_AT_RISK_CHURN)
    if single:
        flagged = np.arange(risk.size)
    elif flagged.size > cap:
        riskiest = np.argsort(-risk[flagged], kind="stable")
        flagged = np.sort(flagged[riskiest[:cap]])
    reasons: dict[int, list[str]] = {}
    if fit.model == "gbdt" and flagged.size:
        pick = take[flagged]
        subset = type(rows)(
            rows.client[pick],
            rows.X[pick],
            rows.frequency[pick],
            rows.recency[pick],
            rows.T[pick],
            rows.cutoff,
        )
        texts = churn_reasons(fit, subset)
        reasons = dict(zip(client_ids[flagged].tolist(), texts, strict=True))
    return risk, reasons


def churn_score(
    *,
    fit: ChurnFit,
    as_of: dt.datetime,
    as_of_day: dt.date,
    client_ids: np.ndarray,
    single: bool = False,
    book: list[tuple[np.ndarray, OrderHistory]] | None = None,
) -> tuple[np.ndarray, dict[int, list[str]]] | None:
    """Return calibrated churn risk aligned with ``client_ids``, and reasons.

    None when BG/NBD ships (its risk is already computed). Reasons are made for
    the clients at risk (the ones a draft is written for), the riskiest
    ``SCORING_REASONS_MAX`` of them in a full run: tree contributions cost
    ~0.3 ms a client. Rescoring one client always explains it. ``book``
    (client ids, history per part; together ``client_ids``) is the run's read
    of the order summaries; without it each part is read from the orders.
    """
    if fit.model == "bgnbd":
        return None
    calls: list[dict[str, Any]]
    if book is not None:
        read_ids = [p[0] for p in book]
        if not np.array_equal(
            np.concatenate(read_ids) if read_ids else np.zeros(0), client_ids
        ):
            return None
        calls = [
            {"client_ids": p[0], "id_range": None, "single": False, "part": p}
            for p in book
        ]
    else:
        ranges: list[tuple[int, int] | None] = [None]
        if not single:
            # In parts by client id: ten million client-days at once cost ~1 GB.
            ranges = list(client_id_ranges(max(1, settings.SCORING_PREDICT_PARTS)))
            ranges = ranges or [None]
        calls = [
            {
                "client_ids": client_ids
                if r is None
                else client_ids[(client_ids >= r[0]) & (client_ids < r[1])],
                "id_range": r,
                "single": single,
            }
            for r in ranges
        ]
    cap = max(1, settings.SCORING_REASONS_MAX // max(1, len(calls)))
    risks, reasons = [], {}
    for call in calls:
        scored = _churn_score_part(
            fit=fit, as_of=as_of, as_of_day=as_of_day, cap=cap, **call
        )
        if scored is None:
            return None
        risks.append(scored[0])
        reasons |= scored[1]
    risk = np.concatenate(risks) if risks else np.zeros(0)
    return risk, reasons
