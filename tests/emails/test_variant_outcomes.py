"""Prompt variants compared: rates per arm, the fixed horizon and the winner rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from emails.models import Experiment, RetentionAssignment
from emails.services.variant_outcomes import variants_summarise
from tests.customers.factories import ClientFactory, OrderFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def experiment_make(*versions: str, planned: int | None = 30) -> Experiment:
    return Experiment.objects.create(
        name="ab-1",
        variants=[
            {"prompt_version": v, "weight": 50} for v in versions or ("v1", "v2")
        ],
        holdout_share=0.1,
        baseline_rate=0.2,
        min_detectable_effect=0.1,
        planned_n_per_arm=planned,
        started_at=AS_OF - dt.timedelta(days=200),
    )


def arm_add(
    version: str, *, n: int, reengaged: int, days_ago: int = 60, name: str = "ab-1"
) -> None:
    """Assign ``n`` clients to a variant ``days_ago``; the first ``reengaged`` order."""
    at = AS_OF - dt.timedelta(days=days_ago)
    for i in range(n):
        client = ClientFactory()
        row = RetentionAssignment.objects.create(
            client=client,
            group=RetentionAssignment.Group.TREATMENT,
            experiment=name,
            holdout_share=0.1,
            prompt_version=version,
        )
        RetentionAssignment.objects.filter(pk=row.pk).update(
            assigned_at=at + dt.timedelta(minutes=i)
        )
        if i < reengaged:
            OrderFactory(
                client=client,
                ordered_at=at + dt.timedelta(days=3),
                amount=Decimal("80.00"),
            )


def test_rates_per_variant_with_wilson_intervals():
    """Each arm shows its closed windows, re-engaged, rate and 95 % interval."""
    experiment = experiment_make()
    arm_add("v1", n=10, reengaged=2)
    arm_add("v2", n=12, reengaged=6)
    arm_add("v2", n=3, reengaged=0, days_ago=5)  # windows still open
    summary = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    v1, v2 = summary.arms
    assert (v1.outcome.closed, v1.outcome.reengaged, v1.outcome.rate) == (10, 2, 0.2)
    assert (v2.outcome.closed, v2.outcome.open, v2.outcome.rate) == (12, 3, 0.5)
    low, high = v1.interval
    assert (round(low, 4), round(high, 4)) == (0.0567, 0.5098)  # Wilson, 2 of 10


def test_no_winner_before_the_planned_n_whatever_the_difference():
    """2 of 29 vs 29 of 29 is striking, but the smallest arm is short of 30."""
    experiment = experiment_make()
    arm_add("v1", n=29, reengaged=2)
    arm_add("v2", n=40, reengaged=40)
    summary = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    assert summary.smallest_arm == 29
    assert not summary.horizon_reached
    assert summary.comparisons == []
    assert summary.winner is None
    assert summary.verdict.startswith("29 of 30 closed windows reached")
    assert "no winner can be declared before 30" in summary.verdict


def test_no_winner_when_the_interval_includes_zero():
    """At the horizon, 10 of 30 vs 13 of 30: z 0.797, p 0.426, the CI spans 0."""
    experiment = experiment_make()
    arm_add("v1", n=30, reengaged=10)
    arm_add("v2", n=30, reengaged=13)
    summary = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    (comparison,) = summary.comparisons
    assert comparison.test.z == pytest.approx(0.7966, abs=1e-4)
    assert comparison.test.p_value == pytest.approx(0.4257, abs=1e-4)
    assert comparison.lower < 0 < comparison.upper
    assert not comparison.significant
    assert summary.winner is None
    assert summary.verdict.startswith("No winner")


def test_a_clear_difference_at_the_horizon_declares_a_winner():
    """6 of 30 vs 20 of 30: z 3.647, the interval is above 0, v2 wins."""
    experiment = experiment_make()
    arm_add("v1", n=30, reengaged=6)
    arm_add("v2", n=30, reengaged=20)
    summary = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    (comparison,) = summary.comparisons
    assert comparison.test.z == pytest.approx(3.6474, abs=1e-4)
    assert comparison.lower > 0
    assert summary.winner == "v2"
    assert summary.verdict == "Winner: v2."


def test_the_control_wins_when_the_challenger_is_clearly_worse():
    """A significantly worse challenger makes the control the winner."""
    experiment = experiment_make()
    arm_add("v1", n=30, reengaged=20)
    arm_add("v2", n=30, reengaged=6)
    assert variants_summarise(experiment=experiment, as_of=AS_OF, days=30).winner == (
        "v1"
    )


def test_the_verdict_is_taken_on_the_first_planned_windows_only():
    """Windows closing after the horizon do not change the verdict: one look."""
    experiment = experiment_make()
    arm_add("v1", n=30, reengaged=10, days_ago=90)
    arm_add("v2", n=30, reengaged=13, days_ago=90)
    before = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    arm_add("v2", n=40, reengaged=40, days_ago=60)  # later, and all re-engaged
    after = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    assert after.arms[1].outcome.closed == 70
    assert after.arms[1].analysed.closed == 30
    assert after.comparisons == before.comparisons
    assert after.winner is None


def test_three_variants_are_each_tested_against_the_control_at_a_split_alpha():
    """Bonferroni: with two challengers each is tested at 0.025."""
    experiment = experiment_make("v1", "v2", "v3")
    arm_add("v1", n=30, reengaged=6)
    arm_add("v2", n=30, reengaged=14)  # p 0.028: not below 0.025
    arm_add("v3", n=30, reengaged=20)
    summary = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    assert summary.alpha == 0.025
    v2, v3 = summary.comparisons
    assert (v2.challenger, v2.test.p_value < 0.05, v2.significant) == (
        "v2",
        True,
        False,
    )
    assert v3.significant
    assert summary.winner == "v3"


def test_an_experiment_without_a_plan_declares_nothing():
    """No planned n (no MDE given, e.g. a migrated experiment): no verdict at all."""
    experiment = experiment_make(planned=None)
    arm_add("v1", n=30, reengaged=6)
    arm_add("v2", n=30, reengaged=20)
    summary = variants_summarise(experiment=experiment, as_of=AS_OF, days=30)
    assert summary.winner is None
    assert summary.verdict.startswith("No sample size was planned")
