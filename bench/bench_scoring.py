"""``make bench-scoring``: rescore 1,000,000 clients / ~10,000,000 orders.

Generates the book in a throwaway PostgreSQL with COPY, then runs
``manage.py score_clients`` in a child process (so its peak memory is its own)
and prints seconds per phase and peak RSS. Targets on a 2-core machine: the whole
``score_clients`` process (start-up included) in at most 20 s and 1.5 GB
(issue 14), at most 60 s and 2 GB with the trees trained in the run (issue 13);
the fit alone in at most 3 s.
"""

from __future__ import annotations

import argparse
import os
import sys

from datagen import (
    REPO,
    bench_book_ensure,
    bench_database,
    book_arguments,
    child_measure,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    book_arguments(parser)
    args = parser.parse_args()

    with bench_database(
        dbname="stitchengage_bench_scoring", data_dir=args.data_dir
    ) as url:
        bench_book_ensure(
            n_clients=args.clients,
            orders_per_client=args.orders_per_client,
            kept=args.data_dir is not None,
        )
        env = {**os.environ, "DATABASE_URL": url}
        from scoring.models import ScoringRun

        print(
            f"{'run':>4} {'total s':>8} {'aggregate':>10} {'fit':>6} {'train':>6} "
            f"{'predict':>8} {'write':>7} {'peak MB':>8} {'model':>8} {'rows':>9} "
            f"{'churn ranking':>14} {'CPU s':>6}"
        )
        for number in range(1, args.runs + 1):
            usage = child_measure(
                [sys.executable, "manage.py", "score_clients", "-v", "0"], env=env
            )
            total, peak, cpu = usage.seconds, usage.peak_mb, usage.cpu_seconds
            run = ScoringRun.objects.order_by("-started_at", "-id").first()
            phases = run.phase_seconds
            fit = run.model_fit
            ranking = "reused" if "reused_from_fit" in fit.churn_details else "trained"
            print(
                f"{number:>4} {total:>8.1f} {phases['aggregate']:>10.2f} "
                f"{phases['fit']:>6.2f} {phases.get('train', 0):>6.2f} "
                f"{phases['predict']:>8.2f} "
                f"{phases['write']:>7.2f} {peak:>8.0f} {fit.churn_model:>8} "
                f"{fit.churn_details.get('train_rows', 0):>9,} {ranking:>14} "
                f"{cpu:>6.1f}"
            )
        print(f"load average: {os.getloadavg()}")
        print(f"tiers: {run.tier_counts}")
        print(f"churn model: {run.model_fit.churn_details.get('reason', '')}")
        print(
            "targets (total = the whole score_clients process, start-up included): "
            "issue 14 total <= 20 s, peak <= 1536 MB; issue 13 (trees in the run) "
            "total <= 60 s, peak <= 2048 MB; fit <= 3 s"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    main()
