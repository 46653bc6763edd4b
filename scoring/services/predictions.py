"""Turn order statistics and model parameters into per-client scores."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from scoring.bgnbd import BgNbdParams, bgnbd_predict
from scoring.engagement import EngagementScore
from scoring.engagement_reference import (
    engagement_reference_build,
    engagement_score_with_reference,
)
from scoring.gamma_gamma import (
    DAYS_PER_MONTH,
    GammaGammaParams,
    clv,
    gamma_gamma_expected_spend,
)
from scoring.selectors import OrderStats
from scoring.tiers import TierThresholds, risk_tiers


@dataclass(frozen=True)
class RfmInputs:
    """BG/NBD inputs in days, derived from order statistics at a scoring date."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    days_since_last_order: np.ndarray
    average_order_value: np.ndarray
    mean_rating: np.ndarray


@dataclass(frozen=True)
class ClientScores:
    """Every number a snapshot stores, as arrays aligned with the client ids."""

    inputs: RfmInputs
    engagement: EngagementScore
    p_alive: np.ndarray
    expected_orders: np.ndarray
    churn_risk: np.ndarray
    clv: np.ndarray
    expected_next_order_in: np.ndarray
    tiers: np.ndarray
    scored_by: str = "bgnbd"
    churn_reasons: dict[int, list[str]] | None = None


def rfm_inputs(*, stats: OrderStats, as_of_day: dt.date) -> RfmInputs:
    """Derive frequency, recency, T and spend (repeat orders only) per client."""
    today = np.int64((as_of_day - dt.date(1970, 1, 1)).days)
    frequency = (stats.order_days - 1).astype(np.float64)
    recency = (stats.last_day - stats.first_day).astype(np.float64)
    tenure = np.maximum(today - stats.first_day, recency).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        monetary = np.where(
            frequency > 0,
            (stats.total_amount - stats.first_day_amount) / frequency,
            0.0,
        )
        average = stats.total_amount / np.maximum(stats.order_days, 1)
        rating = np.where(
            stats.rating_n > 0, stats.rating_sum / np.maximum(stats.rating_n, 1), np.nan
        )
    return RfmInputs(
        frequency=frequency,
        recency=recency,
        T=tenure,
        monetary=np.maximum(monetary, 0.0),
        days_since_last_order=np.maximum(today - stats.last_day, 0).astype(np.float64),
        average_order_value=average,
        mean_rating=rating,
    )


def client_scores(
    *,
    stats: OrderStats,
    inputs: RfmInputs,
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams | None,
    engagement_reference: dict[str, list[float]],
    churn: tuple[str, np.ndarray, dict[int, list[str]]] | None = None,
) -> ClientScores:
    """Predict churn, orders and CLV, score engagement, and assign tiers.

    ``churn`` is (model, risk, reasons) from ``scoring.churn_pipeline`` when it
    ships something other than BG/NBD: tiers then apply to that calibrated
    probability.
    """
    args = {"frequency": inputs.frequency, "recency": inputs.recency, "T": inputs.T}
    prediction = bgnbd_predict(
        params=bgnbd, horizon=float(settings.SCORING_HORIZON_DAYS), **args
    )
    spend = np.full(inputs.frequency.shape, np.nan)
    if gamma_gamma is not None:
        spend = gamma_gamma_expected_spend(
            params=gamma_gamma, frequency=inputs.frequency, monetary=inputs.monetary
        )
    # Without a usable spend model, a client's own average order is the best guess.
    spend = np.where(np.isfinite(spend), spend, inputs.average_order_value)
    value = clv(
        params=bgnbd,
        expected_spend=spend,
        units_per_month=DAYS_PER_MONTH,
        months=settings.SCORING_CLV_MONTHS,
        monthly_discount_rate=settings.SCORING_CLV_MONTHLY_DISCOUNT,
        p_alive=prediction.p_alive,
        **args,
    )
    engagement = engagement_score_with_reference(
        reference=engagement_reference,
        days_since_last_order=inputs.days_since_last_order,
        frequency=inputs.frequency,
        monetary=np.where(inputs.frequency > 0, inputs.monetary, np.nan),
        items_kept=stats.items_kept,
        items_sent=stats.items_sent,
        mean_rating=inputs.mean_rating,
    )
    scored_by, churn_risk, reasons = "bgnbd", prediction.churn_risk, None
    if churn is not None:
        scored_by, churn_risk, reasons = churn
        churn_risk = np.clip(churn_risk, 0.0, 1.0)
    tiers = risk_tiers(
        churn_risk=churn_risk,
        days_since_last_order=inputs.days_since_last_order,
        thresholds=TierThresholds.from_settings(),
    )
    return ClientScores(
        inputs=inputs,
        engagement=engagement,
        p_alive=np.clip(prediction.p_alive, 0.0, 1.0),
        expected_orders=prediction.expected_purchases,
        churn_risk=churn_risk,
        scored_by=scored_by,
        churn_reasons=reasons,
        clv=np.nan_to_num(value, nan=0.0, posinf=0.0),
        expected_next_order_in=prediction.expected_next_order_in,
        tiers=tiers,
    )


def engagement_reference_from(inputs: RfmInputs) -> dict[str, list[float]]:
    """Return the recency/frequency/monetary quantiles of these clients.

    Spend counts only for repeat buyers (a one-time buyer has no repeat spend).
    """
    return engagement_reference_build(
        days_since_last_order=inputs.days_since_last_order,
        frequency=inputs.frequency,
        monetary=np.where(inputs.frequency > 0, inputs.monetary, np.nan),
    )


def book_score(
    *,
    stats: OrderStats,
    inputs: RfmInputs,
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams | None,
    churn: tuple[str, np.ndarray, dict[int, list[str]]] | None = None,
) -> tuple[dict[str, list[float]], ClientScores]:
    """Score the whole book: build this run's engagement reference, then score.

    Returns the reference (stored on the run, for rescoring single clients on
    the same scale later) and the scores.
    """
    reference = engagement_reference_from(inputs)
    scores = client_scores(
        stats=stats,
        inputs=inputs,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        engagement_reference=reference,
        churn=churn,
    )
    return reference, scores
