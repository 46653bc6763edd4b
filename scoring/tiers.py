"""Risk tiers from churn risk and recency, with thresholds from settings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from customers.models import RiskTier

# The one palette for tiers: badges in the admin lists and the dashboard's charts.
# Dark enough to carry white text on a badge.
TIER_COLOURS = {
    RiskTier.HEALTHY: "#1e7e34",
    RiskTier.COOLING: "#b8860b",
    RiskTier.AT_RISK: "#c0392b",
    RiskTier.LAPSED: "#6c757d",
    RiskTier.UNSCORED: "#adb5bd",
}
UNKNOWN_TIER_COLOUR = "#adb5bd"


@dataclass(frozen=True)
class TierThresholds:
    """Where the tiers start; documented in the README."""

    at_risk_churn: float
    cooling_churn: float
    lapsed_days: int

    @classmethod
    def from_settings(cls) -> TierThresholds:
        return cls(
            at_risk_churn=settings.SCORING_AT_RISK_CHURN,
            cooling_churn=settings.SCORING_COOLING_CHURN,
            lapsed_days=settings.SCORING_LAPSED_DAYS,
        )


def risk_tiers(
    *,
    churn_risk: np.ndarray,
    days_since_last_order: np.ndarray,
    thresholds: TierThresholds,
) -> np.ndarray:
    """Return the tier of each client.

    Lapsed: no order for ``lapsed_days`` or more, whatever the model says (the
    client is beyond a nudge). Otherwise at risk from ``at_risk_churn``, cooling
    from ``cooling_churn``, else healthy.
    """
    churn = np.asarray(churn_risk, dtype=np.float64)
    days = np.asarray(days_since_last_order, dtype=np.float64)
    return np.select(
        [
            days >= thresholds.lapsed_days,
            churn >= thresholds.at_risk_churn,
            churn >= thresholds.cooling_churn,
        ],
        [RiskTier.LAPSED.value, RiskTier.AT_RISK.value, RiskTier.COOLING.value],
        default=RiskTier.HEALTHY.value,
    ).astype(object)
