"""The lost-work sweep's drafting half: drafts whose publish or task was lost.

Shared by ``manage.py generate_drafts`` (every at-risk client) and the scheduled
sweep (``emails.selectors.draft_sweep_snapshot_ids``: only what is undecided or
stranded). Both go through ``draft_request_evaluate``, so consent, unsubscribe,
suppression, the frequency cap, the open email and the holdout decide exactly as
they do for the task; and every publish goes through ``task_enqueue``, so a
broker still down leaves the rows for the next run instead of raising.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from tqdm import tqdm

from emails.models import EmailStatus, ReengagementEmail
from emails.selectors import regenerated_drafts_stranded
from emails.services.drafting import (
    DRAFT_NOT_QUEUED,
    MISSING,
    SKIPPED,
    draft_abandoned,
    draft_enqueue,
    draft_request_evaluate,
)
from emails.services.task_queue import task_enqueue


@dataclass(slots=True)
class DraftSweep:
    """Say what a sweep decided and published."""

    evaluated: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    enqueued: int = 0
    not_enqueued: int = 0
    regenerated: int = 0
    regenerated_not_enqueued: int = 0


def drafts_sweep(*, snapshot_ids: list[int], dry_run: bool = False) -> DraftSweep:
    """Decide each snapshot's draft and publish what no task is coming for.

    1. ``draft_request_evaluate`` per snapshot, all in one transaction (a dry
       run rolls it back): new emails are created queued.
    2. After the commit, publish ``generate_draft`` for every queued email and
       every draft abandoned by a dead worker; the task's claim (a conditional
       update) makes a message published twice harmless. A failed publish marks
       the email ``DRAFT_NOT_QUEUED``, which the next sweep looks for.
    3. Publish regenerated drafts left stranded (``draft_enqueue``).
    """
    from emails.tasks import generate_draft_task  # the tasks import the services

    sweep = DraftSweep(evaluated=len(snapshot_ids))
    enqueue: list[tuple[int, int]] = []
    with transaction.atomic():
        progress = tqdm(
            snapshot_ids, desc="drafts", unit="client", disable=not sys.stderr.isatty()
        )
        for snapshot_id in progress:
            request = draft_request_evaluate(snapshot_id=snapshot_id)
            sweep.counts[request.outcome] += 1
            if request.outcome in (SKIPPED, MISSING):
                sweep.skipped[request.reason] += 1
            email = request.email
            if email is not None and (
                email.status == EmailStatus.QUEUED or draft_abandoned(email)
            ):
                enqueue.append((email.pk, email.snapshot_id or snapshot_id))
        transaction.set_rollback(dry_run)
    if dry_run:
        sweep.enqueued = len(enqueue)
        sweep.regenerated = len(regenerated_drafts_stranded())
        return sweep
    for email_id, snapshot_id in enqueue:
        if task_enqueue(generate_draft_task, snapshot_id):
            sweep.enqueued += 1
            ReengagementEmail.objects.filter(
                pk=email_id, status=EmailStatus.QUEUED, error=DRAFT_NOT_QUEUED
            ).update(error="")
        else:
            sweep.not_enqueued += 1
            ReengagementEmail.objects.filter(
                pk=email_id, status=EmailStatus.QUEUED
            ).update(error=DRAFT_NOT_QUEUED)
    for email_id in regenerated_drafts_stranded():
        if draft_enqueue(email_id=email_id):
            sweep.regenerated += 1
        else:
            sweep.regenerated_not_enqueued += 1
    return sweep
