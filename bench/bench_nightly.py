"""``make bench-nightly``: the nightly job (rescore + thin history) at 1M clients.

Runs ``scoring.services.nightly.scoring_nightly``, what the Celery beat task and
the Zappa event run each night, in a child process (start-up included, so its
peak memory and CPU are its own) in steady state: the book already has an
accepted fit whose churn ranking is reused, yesterday's snapshots and current
scores, and the snapshot history ``bench_prune.py`` builds. Before each measured
run one more day ages past the retention cutoff, so every run thins about a
million rows as a real night does. Prints the rescoring phases, the thinning
pass, total wall, CPU seconds of the process and of PostgreSQL, and peak RSS.
Target (issue 14): at most 30 s at 1M clients on the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_prune import history_create, snapshot_runs_create
from datagen import (
    REPO,
    bench_book_ensure,
    bench_database,
    book_arguments,
    child_measure,
)

_TICKS = os.sysconf("SC_CLK_TCK")


def _child() -> None:
    """Run the nightly job once and print what the parent cannot see as JSON."""
    import django

    django.setup()
    from django.utils import timezone

    from scoring.models import ScoreSnapshot
    from scoring.services.nightly import scoring_nightly

    before = ScoreSnapshot.objects.count()
    run = scoring_nightly()
    ended = timezone.now()
    after = ScoreSnapshot.objects.count()
    print(
        json.dumps(
            {
                "run": run.pk,
                # The thinning pass starts once the rescoring committed.
                "prune": (ended - run.finished_at).total_seconds(),
                "deleted": before + run.n_clients - after,
            }
        )
    )


def _pg_cpu_seconds(data_dir: Path) -> float:
    """CPU seconds of the cluster so far: the postmaster, its live and reaped children.

    A backend that exits is reaped by the postmaster, whose cutime/cstime then
    hold its CPU; live backends are read from /proc.
    """
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])

    def stat(pid: int) -> list[str]:
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2 :].split()

    fields = stat(postmaster)  # fields[11:15]: utime stime cutime cstime
    total = sum(int(v) for v in fields[11:15])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if int(child[1]) == postmaster:
            total += int(child[11]) + int(child[12])
    return total / _TICKS


def _steady_state(*, recent_days: int) -> bool:
    """Bring the book to a night's starting point (untimed); True: new history."""
    from django.conf import settings
    from django.utils import timezone

    from scoring.models import ModelFit, ScoringRun

    if not ModelFit.objects.filter(status=ModelFit.Status.ACCEPTED).exists():
        # The first run trains the ranking; later nights reuse it.
        print("first run (trains the churn ranking) ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "score_clients", "-v", "0"],
            cwd=REPO,
            check=True,
        )
    cutoff = timezone.now() - dt.timedelta(days=settings.SCORING_SNAPSHOT_KEEP_DAYS)
    if not ScoringRun.objects.filter(started_at__lt=cutoff).exists():
        started = time.perf_counter()
        rows = history_create(
            keep_days=settings.SCORING_SNAPSHOT_KEEP_DAYS,
            lookback_days=settings.SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS,
            recent_days=recent_days,
        )
        print(f"history: {rows:,} snapshots in {time.perf_counter() - started:.0f}s")
        return True
    return False


def _day_ages(number: int) -> None:
    """Add a run just before the cutoff: the night's thinning supersedes the last."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    cutoff = timezone.now() - dt.timedelta(days=settings.SCORING_SNAPSHOT_KEEP_DAYS)
    snapshot_runs_create([cutoff - dt.timedelta(minutes=30 - number % 30)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoring_scoresnapshot")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    book_arguments(parser)
    parser.add_argument("--recent-days", type=int, default=7)
    args = parser.parse_args()

    with bench_database(
        dbname="stitchengage_bench_scoring", data_dir=args.data_dir
    ) as url:
        from scoring.models import ScoreSnapshot, ScoringRun

        cluster = _cluster_dir()
        bench_book_ensure(
            n_clients=args.clients,
            orders_per_client=args.orders_per_client,
            kept=args.data_dir is not None,
        )
        fresh_history = _steady_state(recent_days=args.recent_days)
        env = {**os.environ, "DATABASE_URL": url}
        print(
            f"{'run':>4} {'total s':>8} {'read':>6} {'fit':>5} {'train':>6} "
            f"{'predict':>8} {'write':>6} {'prune':>6} {'deleted':>9} "
            f"{'CPU s':>6} {'PG CPU s':>8} {'peak MB':>8} {'snapshots':>11}"
        )
        for number in range(1, args.runs + 1):
            if number > 1 or not fresh_history:
                _day_ages(number)
            pg_before = _pg_cpu_seconds(cluster)
            usage = child_measure(
                [sys.executable, __file__, "--child"], env=env, capture=True
            )
            pg_cpu = _pg_cpu_seconds(cluster) - pg_before
            result = json.loads(usage.stdout.strip().splitlines()[-1])
            run = ScoringRun.objects.get(pk=result["run"])
            phases = run.phase_seconds
            total, peak, cpu = usage.seconds, usage.peak_mb, usage.cpu_seconds
            print(
                f"{number:>4} {total:>8.1f} {phases['aggregate']:>6.2f} "
                f"{phases['fit']:>5.2f} {phases.get('train', 0):>6.2f} "
                f"{phases['predict']:>8.2f} {phases['write']:>6.2f} "
                f"{result['prune']:>6.2f} {result['deleted']:>9,} {cpu:>6.1f} "
                f"{pg_cpu:>8.1f} {peak:>8.0f} {ScoreSnapshot.objects.count():>11,}",
                flush=True,
            )
        ranking = run.model_fit.churn_details
        print(
            f"churn ranking: {run.model_fit.churn_model}, "
            f"{'reused' if 'reused_from_fit' in ranking else 'trained'}"
        )
        print(f"load average: {os.getloadavg()}")
        print(
            "target (issue 14): the nightly job (total: the whole process, "
            "start-up included) <= 30 s at 1M clients in steady state"
        )


def _cluster_dir() -> Path:
    """Return the data directory of the cluster the bench started."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        return Path(cursor.fetchone()[0])


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "bench"))
    if sys.argv[1:] == ["--child"]:
        sys.path.insert(0, str(REPO))
        _child()
    else:
        main()
