"""The holdout group: at-risk clients deliberately never emailed, for comparison."""

from __future__ import annotations

import hashlib

from django.conf import settings

from customers.models import Client
from emails.models import RetentionAssignment

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
    *, client: Client, snapshot_id: int
) -> RetentionAssignment:
    """Record the group of the client's entry into at-risk for this snapshot.

    Raises ``IntegrityError`` if the snapshot has one already; callers read the
    recorded group first (``drafting_facts``) and treat that as a race.
    """
    experiment = settings.REENGAGEMENT_EXPERIMENT
    share = settings.REENGAGEMENT_HOLDOUT_SHARE
    return RetentionAssignment.objects.create(
        client=client,
        snapshot_id=snapshot_id,
        group=holdout_group(experiment=experiment, client_id=client.pk, share=share),
        experiment=experiment,
        holdout_share=share,
    )
