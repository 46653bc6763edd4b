"""``manage.py generate_drafts``: queue drafts for every client currently at risk.

It is also the sweep for drafts whose task was lost, by hand: first drafts
through their client's snapshot, regenerated drafts through
``regenerated_drafts_stranded`` (``emails.services.draft_sweep``; the scheduled
lost-work sweep runs the same service on the undecided snapshots only).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from emails.selectors import at_risk_latest_snapshot_ids
from emails.services.draft_sweep import drafts_sweep
from emails.services.drafting import EXISTING, HOLDOUT, QUEUED


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
        sweep = drafts_sweep(snapshot_ids=snapshot_ids, dry_run=dry_run)
        counts = sweep.counts
        verb = "would be enqueued" if dry_run else "enqueued"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(snapshot_ids):,} at risk: {counts[QUEUED]:,} eligible, "
                f"{counts[HOLDOUT]:,} in the holdout, {counts[EXISTING]:,} with an "
                f"email already; {sweep.enqueued:,} {verb}."
            )
        )
        for reason, n in sweep.skipped.most_common():
            self.stdout.write(f"  skipped ({reason}): {n:,}")
        stranded = sweep.regenerated + sweep.regenerated_not_enqueued
        if stranded:
            self.stdout.write(
                f"Regenerated drafts left waiting: {sweep.regenerated:,} {verb} again."
            )
        unpublished = sweep.not_enqueued + sweep.regenerated_not_enqueued
        if unpublished:
            self.stderr.write(
                self.style.ERROR(
                    f"{unpublished:,} could not be enqueued (task queue unreachable)."
                )
            )
