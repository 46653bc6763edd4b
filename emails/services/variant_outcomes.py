"""Prompt variants of one experiment compared: rates, the test, and the verdict.

The unit is the at-risk entry assigned to the emailed group (intention to
treat, counted from assignment): the variant is drawn at random there, so arms
compare like with like. Counting only sent emails would let reviewers' choices
(rejecting more of one variant's drafts) decide who is in an arm.

Fixed horizon (``emails.services.experiment_stats``): the verdict is computed
once every arm has ``planned_n_per_arm`` closed windows, on the first that many
of each arm (by assignment time, and so in the order their windows closed). The
analysed sample never changes after that, so opening the dashboard every day
does not test again. With more than two variants each challenger is compared
with the first (control) at ``alpha / (k - 1)`` (Bonferroni).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet, Subquery
from django.utils import timezone

from emails.models import Experiment, RetentionAssignment
from emails.services.experiment_stats import ZTest, two_proportion_ztest
from emails.services.experiments import experiment_comparison_alpha
from emails.services.outcomes import (
    GroupOutcome,
    difference_interval_newcombe,
    group_outcome,
    wilson_interval,
)


@dataclass(frozen=True)
class VariantArm:
    """One prompt variant: every closed window so far, and the analysed ones."""

    prompt_version: str
    weight: float
    outcome: GroupOutcome  # every closed window so far (descriptive)
    analysed: GroupOutcome | None  # the first planned n, once reached

    @property
    def interval(self) -> tuple[float, float] | None:
        """Return the 95 % Wilson interval of the rate so far."""
        if not self.outcome.closed:
            return None
        return wilson_interval(
            successes=self.outcome.reengaged, trials=self.outcome.closed
        )


@dataclass(frozen=True)
class VariantComparison:
    """A challenger against the control on the analysed samples."""

    challenger: str
    control: str
    test: ZTest
    lower: float  # interval of challenger - control at the comparison's level
    upper: float
    significant: bool


@dataclass(frozen=True)
class VariantSummary:
    experiment: Experiment
    arms: list[VariantArm]
    alpha: float  # per comparison
    smallest_arm: int  # closed windows in the arm furthest from the horizon
    comparisons: list[VariantComparison]
    winner: str | None
    verdict: str

    @property
    def planned_n(self) -> int | None:
        return self.experiment.planned_n_per_arm

    @property
    def horizon_reached(self) -> bool:
        return self.planned_n is not None and self.smallest_arm >= self.planned_n

    @property
    def level(self) -> float:
        return 1 - self.alpha


def _arm_rows(experiment: Experiment, version: str) -> QuerySet[RetentionAssignment]:
    return RetentionAssignment.objects.filter(
        experiment=experiment.name,
        group=RetentionAssignment.Group.TREATMENT,
        prompt_version=version,
    )


def _first(rows: QuerySet[RetentionAssignment], n: int):
    first = rows.order_by("assigned_at", "pk").values("pk")[:n]
    return rows.filter(pk__in=Subquery(first))


def variant_compare(
    *,
    control: GroupOutcome,
    challenger: GroupOutcome,
    names: tuple[str, str],
    alpha: float,
) -> VariantComparison:
    """Return the test and interval of ``challenger - control``.

    Significant when the pooled z-test's p is below ``alpha`` and the Newcombe
    interval at the same level excludes 0: both must agree.
    """
    from scipy.stats import norm  # lazy: scipy.stats costs Django's start-up ~0.5 s

    test = two_proportion_ztest(
        x1=challenger.reengaged,
        n1=challenger.closed,
        x2=control.reengaged,
        n2=control.closed,
    )
    lower, upper = difference_interval_newcombe(
        x1=challenger.reengaged,
        n1=challenger.closed,
        x2=control.reengaged,
        n2=control.closed,
        z=float(norm.ppf(1 - alpha / 2)),
    )
    return VariantComparison(
        challenger=names[1],
        control=names[0],
        test=test,
        lower=lower,
        upper=upper,
        significant=test.p_value < alpha and (lower > 0 or upper < 0),
    )


def variant_winner(comparisons: list[VariantComparison]) -> str | None:
    """Return the winning variant, or None.

    The best challenger that beats the control significantly; the control if it
    beats every challenger significantly; else nobody.
    """
    better = [c for c in comparisons if c.significant and c.test.difference > 0]
    if better:
        return max(better, key=lambda c: c.test.difference).challenger
    if comparisons and all(
        c.significant and c.test.difference < 0 for c in comparisons
    ):
        return comparisons[0].control
    return None


def variants_summarise(
    *,
    experiment: Experiment,
    as_of: dt.datetime | None = None,
    days: int | None = None,
) -> VariantSummary:
    """Return each variant's rate so far and, at the horizon, the verdict."""
    as_of = as_of or timezone.now()
    days = settings.REENGAGEMENT_ATTRIBUTION_DAYS if days is None else days
    planned = experiment.planned_n_per_arm
    arms = []
    for variant in experiment.variants:
        version = str(variant["prompt_version"])
        rows = _arm_rows(experiment, version)
        outcome = group_outcome(
            queryset=rows, start_field="assigned_at", days=days, as_of=as_of
        )
        analysed = None
        if planned and outcome.closed >= planned:
            analysed = group_outcome(
                queryset=_first(rows, planned),
                start_field="assigned_at",
                days=days,
                as_of=as_of,
            )
        arms.append(
            VariantArm(
                prompt_version=version,
                weight=float(variant["weight"]),
                outcome=outcome,
                analysed=analysed,
            )
        )
    alpha = experiment_comparison_alpha(experiment)
    smallest = min((arm.outcome.closed for arm in arms), default=0)
    comparisons: list[VariantComparison] = []
    if planned is None or len(arms) < 2:
        verdict = (
            "No sample size was planned for this experiment: no winner is declared."
        )
    elif smallest < planned:
        verdict = (
            f"{smallest} of {planned} closed windows reached in the smallest arm; "
            f"no winner can be declared before {planned} in every arm."
        )
    else:
        control = arms[0]
        comparisons = [
            variant_compare(
                control=control.analysed,
                challenger=arm.analysed,
                names=(control.prompt_version, arm.prompt_version),
                alpha=alpha,
            )
            for arm in arms[1:]
        ]
    winner = variant_winner(comparisons)
    if comparisons:
        verdict = (
            f"Winner: {winner}."
            if winner
            else "No winner: the difference is not significant (its interval "
            "includes 0)."
        )
    return VariantSummary(
        experiment=experiment,
        arms=arms,
        alpha=alpha,
        smallest_arm=smallest,
        comparisons=comparisons,
        winner=winner,
        verdict=verdict,
    )
