"""``manage.py seed_demo_history``: past runs, holdout entries, sent emails, outcomes.

Parses the options and calls ``emails.services.demo_history``, which says what
is made and how a rerun replaces it.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emails.services.demo_history import (
    NoDemoClientsError,
    demo_history_delete,
    demo_history_seed,
)


class Command(BaseCommand):
    help = (
        "Replace the demo outcome history: weekly past scoring runs, at-risk "
        "entries (emailed and held out), sent emails and re-engagement orders. "
        "The same --weeks and --seed give the same history on the same day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=12)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--holdout-share",
            type=float,
            default=0.2,
            help="Share of past entries held out (larger than live, so the demo "
            "interval is readable).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Only delete the demo history; create nothing.",
        )

    def handle(self, *args, **options) -> None:
        if options["reset"]:
            deleted = demo_history_delete()
            self.stdout.write(f"Deleted {deleted} demo history rows.")
            return
        if not 1 <= options["weeks"] <= 104:
            raise CommandError("--weeks must be between 1 and 104.")
        if not 0 <= options["holdout_share"] < 1:
            raise CommandError("--holdout-share must be in [0, 1).")
        started = time.perf_counter()
        try:
            summary = demo_history_seed(
                weeks=options["weeks"],
                seed=options["seed"],
                holdout_share=options["holdout_share"],
            )
        except NoDemoClientsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.runs} past runs, {summary.assignments} at-risk "
                f"entries ({summary.holdout} held out), {summary.emails} emails "
                f"({summary.sent} sent) and {summary.orders} orders in "
                f"{time.perf_counter() - started:.1f}s."
            )
        )
