"""``manage.py score_clients``: rescore every client now."""

from django.core.management.base import BaseCommand

from scoring.models import ScoringRun
from scoring.services.rescoring import score_clients_all


class Command(BaseCommand):
    help = "Refit the churn model on all orders and rescore every client."

    def handle(self, *args, **options):
        verbose = options["verbosity"] >= 1
        run = score_clients_all(
            trigger=ScoringRun.Trigger.MANUAL,
            progress=(lambda m: self.stdout.write(f"  {m}")) if verbose else None,
        )
        self.stdout.write(self.style.SUCCESS(f"Scored {run.n_clients:,} clients."))
        for tier, count in sorted(run.tier_counts.items()):
            self.stdout.write(f"  {tier:<10} {count:>9,}")
        if run.phase_seconds:
            timings = ", ".join(f"{k} {v:.2f}s" for k, v in run.phase_seconds.items())
            self.stdout.write(f"  timings: {timings}")
