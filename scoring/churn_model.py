"""Fit the purchase and spend models on an RFM summary and score every customer.

This is the pipeline the management commands and the scoring service share:
BG/NBD for churn and purchase counts, Gamma-Gamma for spend, CLV from both.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scoring.bgnbd import BgNbdParams, BgNbdPrediction, bgnbd_fit, bgnbd_predict
from scoring.churn_features import history_clients, order_history_from_transactions
from scoring.churn_pipeline import ChurnFit, churn_features, churn_fit, churn_predict
from scoring.fit_checks import churn_fit_problems
from scoring.gamma_gamma import (
    DAYS_PER_MONTH,
    GammaGammaParams,
    clv,
    gamma_gamma_expected_spend,
    gamma_gamma_fit,
)
from scoring.transactions import DAYS_PER_UNIT, RfmSummary, Transactions

# 90 days is a quarter, the re-engagement cadence; 13 weeks is the same span.
DEFAULT_HORIZON: dict[str, float] = {"days": 90.0, "weeks": 13.0}
PREDICTION_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "p_alive",
    "expected_purchases",
    "churn_risk",
    "clv",
)


@dataclass(frozen=True)
class ChurnModelResult:
    """Fitted parameters and per-customer predictions, aligned with the summary.

    ``gamma_gamma`` is None (and ``expected_spend``/``clv`` NaN) when fewer than
    two customers have repeat purchases to learn spend from. ``problems`` says
    why the fit is degenerate (``scoring.fit_checks``); the nightly run would
    reject such a fit, so its predictions are not to be trusted.
    """

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams | None
    prediction: BgNbdPrediction
    expected_spend: np.ndarray
    clv: np.ndarray
    horizon: float
    clv_months: int
    monthly_discount_rate: float
    problems: tuple[str, ...] = ()
    churn: ChurnFit | None = None
    churn_risk: np.ndarray | None = None  # from the shipped model

    @property
    def scored_by(self) -> str:
        return self.churn.model if self.churn else "bgnbd"


def churn_model_fit(
    *,
    summary: RfmSummary,
    horizon: float | None = None,
    clv_months: int = 12,
    monthly_discount_rate: float = 0.0,
    transactions: Transactions | None = None,
    model: str = "bgnbd",
    min_clients: int = 500,
    min_history_days: int = 180,
    train_clients: int | None = None,
) -> ChurnModelResult:
    """Fit BG/NBD and Gamma-Gamma on ``summary`` and predict over ``horizon``.

    With ``transactions``, churn risk comes from ``churn_pipeline`` (``model``
    auto, gbdt, bgnbd or a baseline), trained only on purchases up to the
    calibration end, so no label reaches past it. With ``train_clients``
    the trees learn from about that many clients (every k-th id), as the
    nightly run's ``SCORING_GBDT_TRAIN_CLIENTS`` does, and score everyone.
    """
    if horizon is None:
        horizon = DEFAULT_HORIZON[summary.time_unit]
    if horizon <= 0:
        raise ValueError("horizon must be positive")
    args = {"frequency": summary.frequency, "recency": summary.recency, "T": summary.T}
    params = bgnbd_fit(**args)
    prediction = bgnbd_predict(params=params, horizon=horizon, **args)
    try:
        gg = gamma_gamma_fit(frequency=summary.frequency, monetary=summary.monetary)
    except ValueError:
        gg = None
    if gg is None:
        spend = np.full(summary.frequency.shape, np.nan)
    else:
        spend = gamma_gamma_expected_spend(
            params=gg, frequency=summary.frequency, monetary=summary.monetary
        )
    value = clv(
        params=params,
        expected_spend=spend,
        units_per_month=DAYS_PER_MONTH / DAYS_PER_UNIT[summary.time_unit],
        months=clv_months,
        monthly_discount_rate=monthly_discount_rate,
        **args,
    )
    churn = None
    risk = prediction.churn_risk
    if transactions is not None and model != "bgnbd":
        churn, risk = _pipeline_risk(
            summary=summary,
            transactions=transactions,
            horizon_days=round(horizon * DAYS_PER_UNIT[summary.time_unit]),
            model=model,
            min_clients=min_clients,
            min_history_days=min_history_days,
            train_clients=train_clients,
        )
    return ChurnModelResult(
        churn=churn,
        churn_risk=risk,
        bgnbd=params,
        gamma_gamma=gg,
        prediction=prediction,
        expected_spend=spend,
        clv=value,
        horizon=float(horizon),
        clv_months=clv_months,
        monthly_discount_rate=monthly_discount_rate,
        problems=tuple(churn_fit_problems(bgnbd=params, gamma_gamma=gg)),
    )


def _pipeline_risk(
    *,
    summary: RfmSummary,
    transactions: Transactions,
    horizon_days: int,
    model: str,
    min_clients: int,
    min_history_days: int,
    train_clients: int | None = None,
) -> tuple[ChurnFit, np.ndarray]:
    """Fit the churn pipeline on the calibration period; risk aligned with summary."""
    end = np.datetime64(summary.calibration_end, "D")
    keep = transactions.dates.astype("datetime64[D]") <= end
    # Codes sort as the ids do, so grouping them groups the ids in the same
    # order, without sorting millions of strings again.
    history, codes = order_history_from_transactions(
        customer_ids=transactions.customer_codes[keep],
        dates=transactions.dates[keep],
        amounts=transactions.amounts[keep],
    )
    ids = transactions.customer_index[codes]
    as_of = int(end.astype(np.int64))
    options = {
        "as_of": as_of,
        "horizon": horizon_days,
        "model": model,
        "min_clients": min_clients,
        "min_history_days": min_history_days,
    }
    every = max(1, history.n_clients // max(1, train_clients or history.n_clients))
    if every == 1:
        fit = churn_fit(history=history, **options)
        rows, _ = churn_features(
            history=history, as_of=as_of, horizon=horizon_days, bgnbd=fit.bgnbd
        )
    else:
        # Everyone's features and BG/NBD first; the sample learns the trees
        # with that BG/NBD, as the nightly run's churn_train does.
        rows, params = churn_features(
            history=history, as_of=as_of, horizon=horizon_days, bgnbd=None
        )
        keep = np.arange(history.n_clients) % every == 0
        sample = history_clients(history=history, keep=keep)
        fit = churn_fit(history=sample, bgnbd=params, **options)
    if not np.array_equal(ids[rows.client], summary.customer_ids):
        raise ValueError("churn features do not line up with the RFM summary")
    return fit, churn_predict(fit, rows)


def churn_fit_to_dict(fit: ChurnFit | None) -> dict[str, Any] | None:
    """Return the model choice, its evidence and calibration as JSON-able data."""
    if fit is None:
        return None
    return {
        "model": fit.model,
        "reason": fit.reason,
        "horizon_days": fit.horizon,
        "train_horizon_days": fit.train_horizon,
        "train_rows": fit.train_rows,
        "train_seconds": round(fit.train_seconds, 3),
        "backtest": {
            name: {k: _finite(v) for k, v in vars(fig).items()}
            for name, fig in fit.backtest.items()
        },
        "calibration": fit.calibration_table,
        "importances": fit.importances,
    }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def churn_model_to_dict(
    *, result: ChurnModelResult, summary: RfmSummary
) -> dict[str, Any]:
    """Return the fit as a JSON-able dict (parameters, not per-customer rows)."""
    b = result.bgnbd
    gg = result.gamma_gamma
    return {
        "n_customers": int(summary.frequency.size),
        "time_unit": summary.time_unit,
        "calibration_end": summary.calibration_end.isoformat(),
        "horizon": result.horizon,
        "bgnbd": {
            "r": b.r,
            "alpha": b.alpha,
            "a": b.a,
            "b": b.b,
            "log_likelihood": b.log_likelihood,
        },
        "gamma_gamma": None
        if gg is None
        else {
            "p": gg.p,
            "q": gg.q,
            "gamma": gg.gamma,
            "log_likelihood": gg.log_likelihood,
            "n": gg.n,
        },
        "mean_p_alive": float(np.mean(result.prediction.p_alive)),
        "mean_churn_risk": float(np.mean(result.churn_risk)),
        "scored_by": result.scored_by,
        "churn_model": churn_fit_to_dict(result.churn),
        "expected_purchases_total": float(np.sum(result.prediction.expected_purchases)),
        "clv_months": result.clv_months,
        "monthly_discount_rate": result.monthly_discount_rate,
        "degenerate": bool(result.problems),
        "problems": list(result.problems),
    }


def churn_predictions_write_csv(
    *, result: ChurnModelResult, summary: RfmSummary, path: str | Path
) -> None:
    """Write one row per customer with the columns in ``PREDICTION_COLUMNS``."""
    pred = result.prediction
    columns = (
        summary.customer_ids,
        summary.frequency,
        summary.recency,
        summary.T,
        pred.p_alive,
        pred.expected_purchases,
        result.churn_risk,
        result.clv,
    )
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PREDICTION_COLUMNS)
        for row in zip(*(col.tolist() for col in columns), strict=True):
            writer.writerow(
                [row[0], *(f"{v:.6g}" if isinstance(v, float) else v for v in row[1:])]
            )
