"""The admin under load: gunicorn, PostgreSQL, 100,000 clients, 50 users, 60 s.

Run with ``make bench-load`` (``BENCH_ARGS="--clients 20000 --seconds 20"`` for a
quicker look). A throwaway PostgreSQL cluster gets the bench book of
``bench/datagen.py`` (100,000 clients, ~1,000,000 orders, 20 stylists), reviewer
accounts and drafts pending review; gunicorn serves the admin on 127.0.0.1 with
production settings (DEBUG off, plain http) from 2 sync workers (one per
core), each one request at a time as a Lambda container serves them; locust
(headless) runs 50 signed-in users: 35 stylists browsing their clients (list,
at-risk filter, search, a client's page, orders) and 15 reviewers working the
queue (the queue, a draft's page, approve). Each user waits 0.5-2 s between
requests, as a person does.

Sessions are made in advance (``force_login``): 50 password checks at once
(PBKDF2, about 0.3 s of CPU each) would measure the hasher, not the admin.
Approval schedules the send (the dispatcher sends it at the client's hour), so
the request records the decision; no broker (Celery's eager mode) and Django's
dummy email backend keep anything that does send off the network.

Why sync workers (``--worker-class gthread --threads 4`` measures the other
way): gthread pins each kept-alive connection to one worker, whose threads
share one GIL, so a worker holding many active users queues them while another
idles; sync workers take each request from the shared accept queue when free.
Same code, quiet box: all-pages p95 190 ms with 3 sync workers, 270 ms with
3 x 4 gthread; 2 sync workers 190 ms, 4 sync workers 300 ms (the box's two cores
also run PostgreSQL and locust). The book's writes are flushed before the load
starts (a CHECKPOINT and a sync): their write-back otherwise ran during the
load, and the second of two runs back to back came out 70-100 ms slower at p95.

Printed: requests per second, p50/p95/p99 per page, failures, and the CPU
seconds gunicorn and locust spent (both share the box). Target: 0 errors
and p95 < 300 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.datagen import bench_data_generate, bench_database  # noqa: E402
from bench.gunicorn_server import gunicorn_start  # noqa: E402

TARGET_P95_MS = 300.0
STYLIST_USERS = 35
REVIEWER_USERS = 15
DRAFTS_PER_REVIEWER = 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accounts_create(*, stylists: int, reviewers: int, drafts_each: int) -> list[dict]:
    """Return signed-in sessions for the locust users, with their clients or drafts.

    Stylist sessions cycle over the bench's stylists (several sessions of one
    account, as a person with two tabs); every reviewer gets an account of their
    own and drafts no other reviewer approves.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client as HttpClient

    from customers.models import Client, RiskTier
    from customers.roles import REVIEWERS
    from emails.models import EmailStatus, ReengagementEmail

    def session_of(user) -> str:
        http = HttpClient()
        http.force_login(user)
        return http.cookies["sessionid"].value

    user_model = get_user_model()
    accounts = []
    stylist_users = list(
        user_model.objects.filter(username__startswith="bench-stylist-").order_by("pk")
    )
    for i in range(stylists):
        user = stylist_users[i % len(stylist_users)]
        clients = list(
            Client.objects.filter(stylist=user)
            .order_by("?")
            .values_list("pk", flat=True)[:200]
        )
        accounts.append(
            {
                "role": "stylist",
                "session": session_of(user),
                "csrf": _get_new_csrf_string(),
                "clients": clients,
            }
        )
    group = Group.objects.get(name=REVIEWERS)
    eligible = list(
        Client.objects.filter(
            score__risk_tier=RiskTier.AT_RISK,
            marketing_consent=True,
            unsubscribed_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "first_name")[: reviewers * drafts_each]
    )
    emails = ReengagementEmail.objects.bulk_create(
        [
            ReengagementEmail(
                client_id=pk,
                idempotency_key=f"bench-load:{pk}",
                status=EmailStatus.PENDING_REVIEW,
                subject=f"A few new ideas for you, {first_name}",
                preheader="Your stylist has a few pieces in mind",
                body=(
                    f"Hi {first_name},\n\nI have been keeping an eye out for pieces "
                    "in the spirit of your last Fix. Tell me what is on your list "
                    "this season and I will build your next Fix around it.\n\n"
                    "All the best"
                ),
                provider="offline-template",
                attempts=1,
            )
            for pk, first_name in eligible
        ],
        batch_size=1000,
    )
    for i in range(reviewers):
        user = user_model.objects.create_user(
            f"bench-reviewer-{i}", f"bench-reviewer-{i}@example.com", is_staff=True
        )
        user.groups.add(group)
        accounts.append(
            {
                "role": "reviewer",
                "session": session_of(user),
                "csrf": _get_new_csrf_string(),
                "drafts": [e.pk for e in emails[i::reviewers]],
            }
        )
    return accounts


def load_server_start(
    *,
    port: int,
    workers: int,
    threads: int,
    worker_class: str,
    env: dict,
    access_log: Path,
) -> subprocess.Popen:
    """Start gunicorn for the load (sync or gthread workers), logging %D."""
    threaded = (
        [
            "--threads",
            str(threads),
            # Longer than a user's pause between requests (0.5-2 s): gunicorn's
            # default of 2 s closes kept-alive connections just as the next
            # request is sent ("connection reset by peer"); a proxy in front
            # keeps them for a minute or more.
            "--keep-alive",
            "10",
        ]
        if worker_class == "gthread"
        else []
    )
    return gunicorn_start(
        port=port,
        workers=workers,
        env=env,
        ready_path="/admin/login/",
        options=[
            "--worker-class",
            worker_class,
            *threaded,
            # The server's own time per request (%(D)s, microseconds): what a
            # request costs here, less distorted by the box's other jobs than
            # what locust measures from outside.
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(m)s %(U)s %(q)s %(s)s %(D)s",
        ],
    )


def server_cpu_seconds(process: subprocess.Popen) -> float:
    """Return the CPU time (user + system) of gunicorn and its workers so far."""
    import psutil

    root = psutil.Process(process.pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def warm_up(*, port: int, accounts: list[dict], rounds: int = 3) -> None:
    """Request each page a few times, one at a time; print the median of each.

    Every gunicorn worker compiles its templates and opens its connection on
    its first requests; the figures say what one request costs on an idle
    server, to read the loaded figures against.
    """
    stylist = next(a for a in accounts if a["role"] == "stylist")
    reviewer = next(a for a in accounts if a["role"] == "reviewer")
    pages = [
        ("client list", stylist, "/admin/customers/client/"),
        ("tier filter at_risk", stylist, "/admin/customers/client/?tier=at_risk"),
        (
            "client page",
            stylist,
            f"/admin/customers/client/{stylist['clients'][0]}/change/",
        ),
        ("order list", stylist, "/admin/customers/order/"),
        ("review queue", reviewer, "/admin/emails/reengagementemail/"),
        (
            "draft page",
            reviewer,
            f"/admin/emails/reengagementemail/{reviewer['drafts'][-1]}/change/",
        ),
    ]
    print(
        "One request at a time, warm (median of the last of"
        f" {rounds * 2} requests each):"
    )
    for label, account, path in pages:
        timings = []
        for _ in range(rounds * 2):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                headers={"Cookie": f"sessionid={account['session']}"},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path} answered {response.status}")
            timings.append((time.perf_counter() - started) * 1000)
        print(f"  {label:<24} {statistics.median(timings[rounds:]):7.1f} ms")


def _page_of(method: str, path: str, query: str) -> str:
    """Name a request by its page, as the locustfile does (ids dropped)."""
    parts = ["N" if part.isdigit() else part for part in path.split("/")]
    name = "/".join(parts)
    return f"{method} {name}" + (f"?{query}" if query else "")


def server_times_print(access_log: Path, since: int) -> None:
    """Print gunicorn's p50/p95 time per page from its access log (%D)."""
    times: dict[str, list[float]] = {}
    with open(access_log) as f:
        lines = f.readlines()[since:]
    for line in lines:
        fields = line.split()
        if len(fields) == 4:  # an empty query string
            fields.insert(2, "")
        if len(fields) != 5:
            continue
        method, path, query, _status, micros = fields
        times.setdefault(_page_of(method, path, query), []).append(int(micros) / 1000)
    every = [t for values in times.values() for t in values]
    if not every:
        return
    print("\nServer time per request (gunicorn %D, ms):")
    print(f"{'page':<56} {'requests':>9} {'p50':>7} {'p95':>7}")
    for name, values in sorted(times.items(), key=lambda kv: -len(kv[1])):
        if len(values) < 5:
            continue
        print(
            f"{name[:56]:<56} {len(values):>9} {statistics.median(values):7.1f} "
            f"{_quantile(values, 0.95):7.1f}"
        )
    print(
        f"{'all requests':<56} {len(every):>9} {statistics.median(every):7.1f} "
        f"{_quantile(every, 0.95):7.1f}"
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def stats_print(prefix: Path, seconds: int) -> bool:
    """Print the locust summary per page; return whether the target was met."""
    with open(f"{prefix}_stats.csv") as f:
        rows = list(csv.DictReader(f))
    print()
    print(
        f"{'page':<32} {'requests':>9} {'fails':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  target"
    )
    print("-" * 86)
    met = True
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all pages"
        p95 = float(row["95%"] or 0)
        fails = int(row["Failure Count"])
        ok = p95 < TARGET_P95_MS and fails == 0
        met = met and ok
        print(
            f"{name:<32} {int(row['Request Count']):>9} {fails:>6} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} "
            f"{row['99%']:>7}  {'ok' if ok else 'MISS'}"
        )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with open(failures) as f:
            for row in csv.DictReader(f):
                print(f"  failure: {row['Name']}: {row['Error']} x{row['Occurrences']}")
    print(f"\n{seconds} s; target: 0 failures, p95 < {TARGET_P95_MS:.0f} ms per page.")
    return met


def run(args: argparse.Namespace) -> int:
    with bench_database() as url:
        print(f"Generating {args.clients:,} clients", flush=True)
        summary = bench_data_generate(
            n_clients=args.clients, orders_per_client=10.0, seed=args.seed
        )
        print(
            f"Generated {summary.clients:,} clients, {summary.orders:,} orders in "
            f"{summary.seconds:.1f}s"
        )
        accounts = accounts_create(
            stylists=STYLIST_USERS,
            reviewers=REVIEWER_USERS,
            drafts_each=DRAFTS_PER_REVIEWER,
        )
        drafts = sum(len(a.get("drafts", [])) for a in accounts)
        print(f"{len(accounts)} signed-in users; {drafts:,} drafts pending review")
        from django.db import connection, connections

        # The book's writes are flushed before the clock starts: the kernel's
        # write-back of a freshly written 1M-order cluster would otherwise run
        # during the load and take CPU from it.
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        connections.close_all()
        os.sync()

        work = Path(tempfile.mkdtemp(prefix="stitch-load-", dir="/tmp"))
        users_file = work / "users.json"
        users_file.write_text(json.dumps(accounts))
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "CELERY_BROKER_URL": "",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "BENCH_LOAD_USERS": str(users_file),
        }
        print(
            f"gunicorn: {args.workers} {args.worker_class} workers"
            + (
                f" x {args.threads} threads (keep-alive 10 s)"
                if args.worker_class == "gthread"
                else " (one request at a time each, as a Lambda container)"
            )
            + f" on 127.0.0.1:{port}; locust: {STYLIST_USERS + REVIEWER_USERS} users, "
            f"{args.seconds} s",
            flush=True,
        )
        access_log = work / "access.log"
        server = load_server_start(
            port=port,
            workers=args.workers,
            threads=args.threads,
            worker_class=args.worker_class,
            env=env,
            access_log=access_log,
        )
        try:
            print(
                "Load average (1, 5, 15 min) before: {:.1f} {:.1f} {:.1f}".format(
                    *os.getloadavg()
                )
            )
            warm_up(port=port, accounts=accounts)
            with open(access_log) as f:
                warm_lines = sum(1 for _ in f)
            cpu_before = server_cpu_seconds(server)
            # locust is the only child waited for from here on: its CPU is the
            # growth of RUSAGE_CHILDREN (it shares the 2 cores with gunicorn).
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            prefix = work / "locust"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(REPO / "bench" / "locustfile_load.py"),
                    "--headless",
                    "-u",
                    str(STYLIST_USERS + REVIEWER_USERS),
                    "-r",
                    "10",
                    "-t",
                    f"{args.seconds}s",
                    "-H",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    # Let requests in flight at the end finish, not count as errors.
                    "--stop-timeout",
                    "30",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=REPO,
                env=env,
                check=False,
            )
            cpu = server_cpu_seconds(server) - cpu_before
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            locust_cpu = (children.ru_utime - children_before.ru_utime) + (
                children.ru_stime - children_before.ru_stime
            )
            with open(f"{prefix}_stats.csv") as f:
                total = next(
                    int(r["Request Count"])
                    for r in csv.DictReader(f)
                    if r["Name"] == "Aggregated"
                )
            print(
                f"gunicorn CPU during the run: {cpu:.1f} s for {total} requests, "
                f"{cpu * 1000 / max(total, 1):.0f} ms per request (of "
                f"{os.cpu_count()} cores x {args.seconds} s)"
            )
            print(
                f"locust CPU during the run: {locust_cpu:.1f} s, "
                f"{locust_cpu * 1000 / max(total, 1):.0f} ms per request"
            )
            print(
                "Load average (1, 5, 15 min) after: {:.1f} {:.1f} {:.1f}".format(
                    *os.getloadavg()
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        from emails.models import EmailStatus, ReengagementEmail

        # Approval schedules the send (the dispatcher sends at the client's
        # hour); none is sent in the request any more.
        approved = ReengagementEmail.objects.filter(
            status__in=[EmailStatus.APPROVED, EmailStatus.SENT], reviewer__isnull=False
        ).count()
        print(f"Emails approved during the run: {approved}")
        server_times_print(access_log, warm_lines)
        return 0 if stats_print(prefix, args.seconds) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--seed", type=int, default=1)
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
