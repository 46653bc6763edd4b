"""``manage.py generate_drafts``: queue drafts for every client currently at risk.

It is also the sweep for drafts whose task was lost: first drafts through their
client's snapshot, regenerated drafts through ``regenerated_drafts_stranded``.
"""

from __future__ import annotations

import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from emails.models import EmailStatus
from emails.selectors import at_risk_latest_snapshot_ids, regenerated_drafts_stranded
from emails.services.drafting import (
    EXISTING,
    HOLDOUT,
    MISSING,
    QUEUED,
    SKIPPED,
    draft_abandoned,
    draft_enqueue,
    draft_request_evaluate,
)
from emails.tasks import generate_draft_task


class Command(BaseCommand):
    help = (
        "Apply eligibility and the holdout to every at-risk client's latest "
        "snapshot and enqueue a draft for each one that qualifies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Decide and report as usual, but write and enqueue nothing.",
        )

    def handle(self, *args, limit: int | None, dry_run: bool, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number.")
        snapshot_ids = at_risk_latest_snapshot_ids(limit=limit)
        with transaction.atomic():
            counts, skipped, enqueue = self._evaluate(snapshot_ids)
            # A dry run decides exactly as a real one, then forgets it all.
            transaction.set_rollback(dry_run)
        stranded = regenerated_drafts_stranded()
        unpublished = 0
        if not dry_run:
            for snapshot_id in enqueue:
                generate_draft_task.delay(snapshot_id)
            unpublished = sum(
                not draft_enqueue(email_id=email_id) for email_id in stranded
            )
        verb = "would be enqueued" if dry_run else "enqueued"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(snapshot_ids):,} at risk: {counts[QUEUED]:,} eligible, "
                f"{counts[HOLDOUT]:,} in the holdout, {counts[EXISTING]:,} with an "
                f"email already; {len(enqueue):,} {verb}."
            )
        )
        for reason, n in skipped.most_common():
            self.stdout.write(f"  skipped ({reason}): {n:,}")
        if stranded:
            self.stdout.write(
                f"Regenerated drafts left waiting: {len(stranded) - unpublished:,} "
                f"{verb} again."
            )
        if unpublished:
            self.stderr.write(
                self.style.ERROR(
                    f"{unpublished:,} could not be enqueued (task queue unreachable)."
                )
            )

    def _evaluate(
        self, snapshot_ids: list[int]
    ) -> tuple[Counter[str], Counter[str], list[int]]:
        counts: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        enqueue: list[int] = []
        progress = tqdm(
            snapshot_ids,
            desc="drafts",
            unit="client",
            disable=not sys.stderr.isatty(),
        )
        for snapshot_id in progress:
            request = draft_request_evaluate(snapshot_id=snapshot_id)
            counts[request.outcome] += 1
            if request.outcome in (SKIPPED, MISSING):
                skipped[request.reason] += 1
            # A queued email whose task was lost, or a draft abandoned by a dead
            # worker, is enqueued again: the task is idempotent.
            email = request.email
            if email is not None and (
                email.status == EmailStatus.QUEUED or draft_abandoned(email)
            ):
                enqueue.append(email.snapshot_id or snapshot_id)
        return counts, skipped, enqueue
