"""Backtest the churn model on a holdout window and compare with baselines.

Target: "no order in the horizon" (churned). Scores are ranked by ROC AUC:
the BG/NBD churn risk, time since last order alone, and the engagement score
(lower engagement meaning more churn).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from scoring.bgnbd import BgNbdParams, bgnbd_fit, bgnbd_predict
from scoring.engagement import engagement_score
from scoring.fit_checks import bgnbd_fit_problems, fit_problems_lines
from scoring.transactions import DAYS_PER_UNIT, RfmSummary, Transactions

N_DECILES = 10


@dataclass(frozen=True)
class DecileRow:
    """One tenth of customers by predicted churn risk (decile 1 = riskiest)."""

    decile: int
    n: int
    mean_predicted_churn: float
    actual_churn_rate: float


@dataclass(frozen=True)
class BacktestResult:
    """Discrimination, calibration and volume figures for one holdout window.

    ``problems`` says why the fit is degenerate (``scoring.fit_checks``).
    """

    n_customers: int
    time_unit: str
    calibration_end: str
    horizon: float
    params: BgNbdParams
    actual_churn_rate: float
    mean_predicted_churn: float
    auc_churn_risk: float
    auc_time_since_last_order: float
    auc_engagement: float
    deciles: tuple[DecileRow, ...]
    forecast_orders: float
    actual_orders: int
    problems: tuple[str, ...] = ()


def roc_auc(*, target: np.ndarray, score: np.ndarray) -> float:
    """Return ROC AUC of ``score`` for boolean ``target`` via the rank-sum formula.

    Tied scores get their mean rank, which counts a tied positive/negative pair
    as half a win, as the trapezoidal ROC area does. NaN if a class is empty.
    """
    target = np.asarray(target, dtype=bool)
    n_pos = int(target.sum())
    n_neg = target.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy import stats  # lazy: scipy.stats costs Django's start-up ~0.5 s

    ranks = stats.rankdata(np.asarray(score, dtype=np.float64))
    return float((ranks[target].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _deciles(risk: np.ndarray, churned: np.ndarray) -> tuple[DecileRow, ...]:
    # Stable sort so equal risks keep input order and the table is reproducible.
    order = np.argsort(-risk, kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, N_DECILES), start=1):
        if idx.size == 0:
            continue
        rows.append(
            DecileRow(
                decile=i,
                n=int(idx.size),
                mean_predicted_churn=float(risk[idx].mean()),
                actual_churn_rate=float(churned[idx].mean()),
            )
        )
    return tuple(rows)


def backtest_run(
    *, summary: RfmSummary, horizon: float | None = None
) -> BacktestResult:
    """Fit on the calibration period and score the forecasts against the holdout."""
    if summary.holdout_orders is None:
        raise ValueError("summary has no holdout counts; build it with a horizon")
    horizon = summary.holdout_horizon if horizon is None else horizon
    if horizon is None or horizon <= 0:
        raise ValueError("horizon must be positive")
    args = {"frequency": summary.frequency, "recency": summary.recency, "T": summary.T}
    params = bgnbd_fit(**args)
    pred = bgnbd_predict(params=params, horizon=horizon, **args)
    churned = summary.holdout_orders == 0
    since_last = summary.T - summary.recency
    # One-time buyers have no repeat spend: missing, not zero.
    monetary = np.where(summary.frequency > 0, summary.monetary, np.nan)
    engagement = engagement_score(
        days_since_last_order=since_last,
        frequency=summary.frequency,
        monetary=monetary,
    )
    return BacktestResult(
        n_customers=int(summary.frequency.size),
        time_unit=summary.time_unit,
        calibration_end=summary.calibration_end.isoformat(),
        horizon=float(horizon),
        params=params,
        actual_churn_rate=float(churned.mean()),
        mean_predicted_churn=float(pred.churn_risk.mean()),
        auc_churn_risk=roc_auc(target=churned, score=pred.churn_risk),
        auc_time_since_last_order=roc_auc(target=churned, score=since_last),
        auc_engagement=roc_auc(target=churned, score=-engagement.total),
        deciles=_deciles(pred.churn_risk, churned),
        forecast_orders=float(pred.expected_purchases.sum()),
        actual_orders=int(summary.holdout_orders.sum()),
        problems=tuple(bgnbd_fit_problems(params)),
    )


def backtest_to_dict(result: BacktestResult) -> dict[str, Any]:
    """Return the result as plain JSON-able types (NaN AUCs become None)."""
    data = asdict(result)
    for key, value in data.items():
        if isinstance(value, float) and not np.isfinite(value):
            data[key] = None
    data["deciles"] = [asdict(row) for row in result.deciles]
    data["degenerate"] = bool(result.problems)
    data["problems"] = list(result.problems)
    return data


def backtest_render_text(result: BacktestResult) -> str:
    """Return a plain-text report for a terminal."""
    p = result.params
    lines = [
        f"Backtest: {result.n_customers} customers, calibration end "
        f"{result.calibration_end}, horizon {result.horizon:g} {result.time_unit}",
        f"BG/NBD: r={p.r:.4f} alpha={p.alpha:.4f} a={p.a:.4f} b={p.b:.4f} "
        f"LL={p.log_likelihood:.2f}",
        *fit_problems_lines(result.problems),
        f"Churn (no order in horizon): actual {result.actual_churn_rate:.3f}, "
        f"mean predicted {result.mean_predicted_churn:.3f}",
        "ROC AUC for churn:",
        f"  BG/NBD churn risk        {result.auc_churn_risk:.4f}",
        f"  time since last order    {result.auc_time_since_last_order:.4f}",
        f"  engagement score (low)   {result.auc_engagement:.4f}",
        f"Orders in holdout: forecast {result.forecast_orders:.1f}, "
        f"actual {result.actual_orders}",
        "Decile (1 = riskiest)   n   mean predicted churn   actual churn rate",
    ]
    lines += [
        f"  {row.decile:>2}              {row.n:>5}   {row.mean_predicted_churn:>10.3f}"
        f"             {row.actual_churn_rate:>10.3f}"
        for row in result.deciles
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ModelRow:
    """One ranking's figures on the holdout (mean predicted None: no probability)."""

    name: str
    auc: float
    lift_quality: float
    mean_predicted: float | None
    actual: float


def backtest_models(
    *,
    summary: RfmSummary,
    transactions: Transactions,
    horizon: float,
    min_clients: int,
    min_history_days: int,
    model: str = "auto",
) -> tuple[list[ModelRow], str]:
    """Score every model and baseline on the same holdout customers, side by side.

    Each model is trained on purchases up to the calibration end only
    (``churn_model._pipeline_risk``); returns the rows and what ``model``
    ships, with its reason. The shipped model's row is the shipped risk
    itself (what ``fit_churn_model`` would score), the others each forced.
    """
    # Imported here: churn_model imports this module's neighbours.
    from scoring.churn_model import _pipeline_risk
    from scoring.churn_pipeline import lift_quality

    churned = summary.holdout_orders == 0
    horizon_days = round(horizon * DAYS_PER_UNIT[summary.time_unit])
    rows: list[ModelRow] = []

    def add(name: str, score: np.ndarray, prob: np.ndarray | None) -> None:
        rows.append(
            ModelRow(
                name=name,
                auc=roc_auc(target=churned, score=score),
                lift_quality=lift_quality(target=churned, score=score),
                mean_predicted=None if prob is None else float(np.mean(prob)),
                actual=float(churned.mean()),
            )
        )

    common = {
        "summary": summary,
        "transactions": transactions,
        "horizon_days": horizon_days,
        "min_clients": min_clients,
        "min_history_days": min_history_days,
    }
    shipped, shipped_risk = _pipeline_risk(**common, model=model)
    for name in ("bgnbd", "gbdt", "baseline_recency", "baseline_rfm"):
        if name == shipped.model:
            # What ships, not the model forced alone: BG/NBD forced is its own
            # level, BG/NBD chosen by auto carries the held-out correction.
            add(name + " (shipped)", shipped_risk, shipped_risk)
            continue
        _, risk = _pipeline_risk(**common, model=name)
        add(name, risk, risk)
    args = {"frequency": summary.frequency, "recency": summary.recency, "T": summary.T}
    pred = bgnbd_predict(params=bgnbd_fit(**args), horizon=horizon, **args)
    add("bgnbd expected orders (fewest)", -pred.expected_purchases, None)
    since_last = summary.T - summary.recency
    add("days since last order", since_last, None)
    from scipy import stats

    rank_sum = stats.rankdata(since_last) + stats.rankdata(-summary.frequency)
    add("rank sum: recency + fewest repeats", rank_sum, None)
    monetary = np.where(summary.frequency > 0, summary.monetary, np.nan)
    engagement = engagement_score(
        days_since_last_order=since_last, frequency=summary.frequency, monetary=monetary
    )
    add("engagement score (low)", -engagement.total, None)
    return rows, f"{shipped.model}: {shipped.reason}"


def backtest_models_text(rows: list[ModelRow], shipped: str) -> str:
    """Return the side-by-side table for a terminal."""
    lines = [
        f"Models on the holdout (shipped: {shipped})",
        f"  {'ranking':<38} {'AUC':>6} {'lift q':>7} {'pred':>6} {'actual':>6}",
    ]
    for row in rows:
        pred = "" if row.mean_predicted is None else f"{row.mean_predicted:.3f}"
        lines.append(
            f"  {row.name:<38} {row.auc:>6.3f} {row.lift_quality:>7.3f} "
            f"{pred:>6} {row.actual:>6.3f}"
        )
    return "\n".join(lines)
