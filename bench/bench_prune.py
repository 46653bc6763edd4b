"""``make bench-prune``: one nightly snapshot-thinning pass on a 1,000,000-client book.

Builds the history a pass meets in steady state (retention on for a while): in
the look-back window before the cutoff, one snapshot per client for each week
already thinned, the kept one of the cutoff's week and the day that just aged
past the cutoff; plus ``--recent-days`` daily runs inside the retention window
(kept, but they make the table and its index as big as a real one). About 3% of
rows are tier changes. Then runs ``manage.py prune_snapshots`` in a child process
and prints its wall time, peak memory, the rows deleted and the table size.
Issue 14's target is the nightly job as a whole (rescoring + this pass) in at
most 30 s at 1M clients in steady state: add this pass to the steady-state
run of ``bench_scoring.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time

from datagen import REPO, bench_data_generate, bench_database


def history_create(*, keep_days: int, lookback_days: int, recent_days: int) -> int:
    """Create the runs and snapshots described above; return the snapshot count."""
    from django.db import connection
    from django.utils import timezone

    from scoring.services.snapshot_retention import week_start

    now = timezone.now()
    cutoff = now - dt.timedelta(days=keep_days)
    since = week_start(cutoff - dt.timedelta(days=lookback_days))
    cutoff_week = week_start(cutoff)
    times = []
    week = since
    while week < cutoff_week:  # thinned weeks: their last (Sunday) snapshot
        times.append(week + dt.timedelta(days=6, hours=2))
        week += dt.timedelta(weeks=1)
    yesterday = cutoff - dt.timedelta(hours=22)
    if yesterday >= cutoff_week:
        times.append(yesterday)  # kept by last night's pass, superseded tonight
    times.append(cutoff - dt.timedelta(hours=1))  # aged past the cutoff today
    times += [now - dt.timedelta(days=d) for d in range(recent_days)]
    total = snapshot_runs_create(times)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoring_scoresnapshot")
    return total


def snapshot_runs_create(times: list[dt.datetime]) -> int:
    """Create a nightly run started at each time with a snapshot per client.

    About 3% of the rows are tier changes; return the snapshot count.
    """
    from django.db import connection

    from scoring.models import ScoringRun

    runs = ScoringRun.objects.bulk_create(
        ScoringRun(trigger=ScoringRun.Trigger.NIGHTLY) for _ in times
    )
    total = 0
    with connection.cursor() as cursor:
        for run, at in zip(runs, times, strict=True):
            cursor.execute(
                "UPDATE scoring_scoringrun SET started_at = %s WHERE id = %s",
                [at, run.pk],
            )
            cursor.execute(
                """
                INSERT INTO scoring_scoresnapshot (
                    client_id, run_id, scored_at, previous_tier, risk_tier,
                    engagement_score, recency_component, frequency_component,
                    orders, repeat_orders, days_since_last_order, tenure_days,
                    average_order_value, p_alive, expected_orders, churn_risk, clv,
                    scored_by, churn_reasons)
                SELECT id, %s, %s,
                    CASE WHEN (id + %s) %% 33 = 0 THEN 'cooling' ELSE 'healthy' END,
                    'healthy', 60, 60, 60, 3, 2, 30, 400, 100, 0.8, 1.0, 0.3, 200,
                    'bgnbd', '[]'::jsonb
                FROM customers_client
                """,
                [run.pk, at, run.pk],
            )
            total += cursor.rowcount
    return total


def _table_mb() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('scoring_scoresnapshot')")
        return cursor.fetchone()[0] / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--recent-days", type=int, default=7)
    args = parser.parse_args()

    with bench_database(dbname="stitchengage_bench_prune") as url:
        summary = bench_data_generate(
            n_clients=args.clients, orders_per_client=1.0, seed=5
        )
        from django.conf import settings

        started = time.perf_counter()
        rows = history_create(
            keep_days=settings.SCORING_SNAPSHOT_KEEP_DAYS,
            lookback_days=settings.SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS,
            recent_days=args.recent_days,
        )
        print(
            f"{summary.clients:,} clients; {rows:,} snapshots made in "
            f"{time.perf_counter() - started:.0f}s; table {_table_mb():,.0f} MB"
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "manage.py", "prune_snapshots"],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        from scoring.models import ScoreSnapshot

        left = ScoreSnapshot.objects.count()
        print(out)
        print(f"pass wall time      {wall:8.1f} s (incl. Django start-up)")
        print(f"peak RSS            {max(peak, before) / 1024:8.0f} MB")
        print(f"snapshots deleted   {rows - left:8,} ({(rows - left) / wall:,.0f}/s)")
        print(f"snapshots left      {left:8,}")
        print(f"load average        {os.getloadavg()}")
        print(
            "target (issue 14): nightly job = this pass + bench_scoring's "
            "steady-state run <= 30 s at 1M clients"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    main()
