"""Fixtures of the scoring tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def trees(settings) -> None:
    """Rank churn with the gradient-boosted trees, on a book small enough to test."""
    settings.SCORING_CHURN_MODEL = "gbdt"
    settings.SCORING_GBDT_MIN_CLIENTS = 50
    settings.SCORING_GBDT_MIN_HISTORY_DAYS = 90
