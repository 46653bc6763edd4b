"""``manage.py score_clients``: rescore every client now."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from customers.services.order_summary import client_order_summaries_rebuild
from scoring.models import ScoringRun
from scoring.services.rescoring import (
    PHASES,
    ModelFitRejectedError,
    clients_rescore,
)


class Command(BaseCommand):
    help = "Refit the churn model on all orders and rescore every client."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild-summary",
            action="store_true",
            help="Rebuild every client's order summary from the orders first "
            "(repair, or after a change to what the summary holds).",
        )

    def handle(self, *args, **options):
        verbose = options["verbosity"] >= 1
        if options["rebuild_summary"]:
            started = time.perf_counter()
            rows = client_order_summaries_rebuild()
            self.stdout.write(
                f"Rebuilt {rows:,} order summaries in "
                f"{time.perf_counter() - started:.1f}s."
            )
        # One step per phase (aggregate, fit, predict, write) on a terminal;
        # each finished phase also prints a line, so logs keep the story.
        bar = tqdm(
            total=len(PHASES),
            unit="phase",
            desc="scoring",
            file=sys.stderr,
            disable=not (verbose and sys.stderr.isatty()),
        )

        def progress(message: str) -> None:
            bar.update(1)
            if verbose:
                with tqdm.external_write_mode(file=sys.stderr):
                    self.stdout.write(f"  {message}")

        try:
            with bar:
                run = clients_rescore(
                    trigger=ScoringRun.Trigger.MANUAL, progress=progress
                )
        except ModelFitRejectedError as exc:
            raise CommandError(str(exc)) from exc
        if run.rejected_fit:
            rejected, used = run.rejected_fit, run.model_fit
            self.stderr.write(
                self.style.WARNING(
                    f"Model fit #{rejected.pk} rejected ({rejected.rejected_reason}); "
                    f"scoring with fit #{used.pk} of {used.fitted_at:%Y-%m-%d}."
                )
            )
        self.stdout.write(self.style.SUCCESS(f"Scored {run.n_clients:,} clients."))
        for tier, count in sorted(run.tier_counts.items()):
            self.stdout.write(f"  {tier:<10} {count:>9,}")
        if run.phase_seconds:
            timings = ", ".join(f"{k} {v:.2f}s" for k, v in run.phase_seconds.items())
            self.stdout.write(f"  timings: {timings}")
