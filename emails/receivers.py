"""One-line receivers that enqueue drafting on commit; the task decides.

A failed publish is logged, not raised into the request that saved the score:
the snapshot is the client's latest at-risk one, so ``generate_drafts`` finds it.
"""

from __future__ import annotations

from django.db.models.signals import post_save

from emails.services.task_queue import task_enqueue_each, task_enqueue_on_commit
from emails.tasks import generate_draft_task
from scoring.models import ScoreSnapshot


def snapshot_saved(sender, instance: ScoreSnapshot, created: bool, **kwargs) -> None:
    """Enqueue a draft when a saved snapshot moves its client into at risk."""
    if created and instance.moved_into_at_risk:
        task_enqueue_on_commit(generate_draft_task, instance.pk)


def clients_moved(sender, snapshot_ids: list[int], **kwargs) -> None:
    """Enqueue one draft per snapshot of a bulk rescoring (sent after commit)."""
    task_enqueue_each(generate_draft_task, snapshot_ids)


def connect() -> None:
    """Connect the receivers; called from ``EmailsConfig.ready()``."""
    from scoring.signals import clients_moved_into_at_risk

    post_save.connect(
        snapshot_saved, sender=ScoreSnapshot, dispatch_uid="emails.snapshot_saved"
    )
    clients_moved_into_at_risk.connect(clients_moved, dispatch_uid="emails.moved")
