"""``manage.py prune_snapshots``: thin score snapshots past their daily retention."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from scoring.services.snapshot_retention import DEFAULT_BATCH_CLIENTS, snapshots_prune


class Command(BaseCommand):
    help = (
        "Keep every snapshot of the last SCORING_SNAPSHOT_KEEP_DAYS days; before "
        "that keep one per client per week, every tier change and every snapshot "
        "an email, assignment or current score refers to. The nightly job runs "
        "this after scoring."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="Days of full history to keep (default: the setting; 0 keeps all).",
        )
        parser.add_argument(
            "--batch-clients",
            type=int,
            default=DEFAULT_BATCH_CLIENTS,
            help="Client ids per transaction.",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Scan all history, not just the weeks before the cutoff "
            "(after retention was off or nightly passes were missed).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted; delete nothing.",
        )

    def handle(self, *args, keep_days, batch_clients, dry_run, full, **options):
        if keep_days is not None and keep_days < 0:
            raise CommandError("--keep-days must be 0 or more.")
        if batch_clients < 1:
            raise CommandError("--batch-clients must be a positive number.")
        bar = tqdm(
            unit="batch",
            desc="pruning",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        with bar:
            result = snapshots_prune(
                keep_days=keep_days,
                batch_clients=batch_clients,
                dry_run=dry_run,
                full=full,
                progress=progress,
            )
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            self.style.SUCCESS(
                f"Snapshots before {result.cutoff:%Y-%m-%d %H:%M}: {verb} "
                f"{result.deleted:,} ({result.batches:,} batches)."
            )
        )
