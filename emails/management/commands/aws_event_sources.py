"""Make a Zappa stage's SQS event sources report batch failures and dead-letter.

    manage.py aws_event_sources --stage production [--dry-run]

Run after ``zappa deploy``/``zappa update`` (Zappa creates the mappings but cannot
set these); see stitchengage/services/sqs_event_sources.py for what it sets.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from stitchengage.services.sqs_event_sources import (
    EventSourcesConfigError,
    sqs_event_sources_configure,
    zappa_stage_read,
)


class Command(BaseCommand):
    help = (
        "Set ReportBatchItemFailures on a Zappa stage's event source mappings and "
        "give its SQS queues a dead-letter queue and a visibility timeout."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stage", required=True, help="Zappa stage name.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the changes, make none."
        )
        parser.add_argument(
            "--zappa-settings",
            type=Path,
            default=settings.BASE_DIR / "zappa_settings.json",
            help="Zappa settings file (default: the project's).",
        )

    def handle(self, *args, stage, dry_run, zappa_settings, **options):
        try:
            zappa_stage = zappa_stage_read(path=zappa_settings, stage=stage)
            changes = sqs_event_sources_configure(stage=zappa_stage, dry_run=dry_run)
        except EventSourcesConfigError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Would change" if dry_run else "Changed"
        for change in changes:
            self.stdout.write(f"{verb} {change}")
        if not changes:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Nothing to change: {zappa_stage.function_name} and its "
                    f"{len(zappa_stage.sqs_arns)} SQS queue(s) are configured."
                )
            )
        elif not dry_run:
            self.stdout.write(self.style.SUCCESS(f"{len(changes)} change(s) made."))
