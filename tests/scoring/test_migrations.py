"""Scores move from columns on the client to scoring.ClientScore without loss."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("customers", "0004_alter_client_stylist"),
    ("scoring", "0003_remove_scoresnapshot_scoring_sco_run_id_d0150b_idx_and_more"),
]
AFTER = [
    ("customers", "0005_scores_move_to_clientscore"),
    ("scoring", "0005_snapshot_one_index_clientscore_snapshot"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# PostgreSQL's DDL is transactional: migrating back and forth inside the test's
# transaction is rolled back with it, leaving the schema as it was.
@pytest.mark.django_db
def test_current_scores_are_copied_to_clientscore_and_linked_to_snapshots():
    apps = _migrate(BEFORE)
    Client = apps.get_model("customers", "Client")
    ScoringRun = apps.get_model("scoring", "ScoringRun")
    ScoreSnapshot = apps.get_model("scoring", "ScoreSnapshot")
    now = timezone.now()
    scored = Client.objects.create(
        first_name="S",
        email="scored@example.com",
        risk_tier="at_risk",
        engagement_score=21,
        churn_risk=0.83,
        p_alive=0.3,
        expected_orders=0.2,
        clv="120.50",
        scored_at=now,
    )
    Client.objects.create(first_name="U", email="unscored@example.com")
    run = ScoringRun.objects.create(trigger="manual")
    common = {
        "client": scored,
        "run": run,
        "previous_tier": "cooling",
        "risk_tier": "at_risk",
        "engagement_score": 21,
        "recency_component": 1,
        "frequency_component": 1,
        "orders": 3,
        "repeat_orders": 2,
        "days_since_last_order": 100,
        "tenure_days": 300,
        "average_order_value": "50.00",
        "p_alive": 0.3,
        "expected_orders": 0.2,
        "churn_risk": 0.83,
        "clv": "120.50",
    }
    ScoreSnapshot.objects.create(scored_at=now - dt.timedelta(days=1), **common)
    latest = ScoreSnapshot.objects.create(
        scored_at=now,
        **{**common, "run": ScoringRun.objects.create(trigger="manual")},
    )

    with connection.cursor() as cursor:  # fire the deferred FK checks before DDL
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    apps = _migrate(AFTER)
    ClientScore = apps.get_model("scoring", "ClientScore")
    (row,) = ClientScore.objects.all()
    assert row.client_id == scored.pk
    assert (row.risk_tier, row.engagement_score, row.churn_risk) == (
        "at_risk",
        21,
        0.83,
    )
    assert str(row.clv) == "120.50"
    assert row.snapshot_id == latest.pk
