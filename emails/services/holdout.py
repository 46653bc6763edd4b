"""The holdout group: at-risk clients deliberately never emailed, for comparison."""

from __future__ import annotations

import hashlib

from customers.models import Client
from emails.models import RetentionAssignment
from emails.services.experiments import (
    ExperimentPlan,
    experiment_plan_current,
    variant_pick,
)

Group = RetentionAssignment.Group


def holdout_draw(*, experiment: str, client_id: int) -> float:
    """Return a reproducible draw in [0, 1) for a client within an experiment.

    A hash rather than a random number, so re-running the pipeline (or auditing
    it later) puts every client in the same group without storing a seed.
    """
    digest = hashlib.sha256(f"{experiment}:{client_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def holdout_group(*, experiment: str, client_id: int, share: float) -> str:
    """Return the group a client falls in for an experiment and holdout share."""
    draw = holdout_draw(experiment=experiment, client_id=client_id)
    return Group.HOLDOUT if draw < share else Group.TREATMENT


def retention_assignment_create(
    *, client: Client, snapshot_id: int, plan: ExperimentPlan | None = None
) -> RetentionAssignment:
    """Record the group and prompt variant of the client's entry into at-risk.

    ``plan`` is the running experiment (``drafting_facts`` reads it with the
    rest); without it, it is read here. Raises ``IntegrityError`` if the
    snapshot has an assignment already; callers read the recorded group first
    (``drafting_facts``) and treat that as a race.
    """
    plan = plan or experiment_plan_current()
    group = holdout_group(
        experiment=plan.name, client_id=client.pk, share=plan.holdout_share
    )
    return RetentionAssignment.objects.create(
        client=client,
        snapshot_id=snapshot_id,
        group=group,
        experiment=plan.name,
        holdout_share=plan.holdout_share,
        prompt_version=variant_pick(plan=plan, client_id=client.pk)
        if group == Group.TREATMENT
        else "",
    )
