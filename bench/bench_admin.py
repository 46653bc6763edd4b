"""Time the admin's big lists per role on PostgreSQL (default 100,000 clients).

Run with ``make bench-admin`` (``BENCH_ARGS="--clients 20000 --runs 10"`` for a
quicker look). A throwaway cluster is started and removed; with ``--data-dir`` it
is kept there and its book reused (and migrated) by the next run with the same
``--clients``: ``BENCH_ARGS="--clients 1000000 --data-dir /tmp/book1m"`` generates
1M clients / 10M orders once. The book gets a review queue and a sent history
(``emails_seed``). Each page is requested with Django's test client as a manager,
a stylist and a reviewer, warmed up, then timed ``--runs`` times; the table shows
p50/p95 in ms, the CPU per request of Django and of its PostgreSQL backend, and
the SQL queries per page. Pages over the target (150 ms; 200 ms for 200 rows) get
the EXPLAIN ANALYZE of their slowest query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datagen import bench_book_present, bench_data_generate, bench_database

TARGET_P95_MS = 150.0
TARGET_P95_200_ROWS_MS = 200.0


@dataclass
class PageResult:
    label: str
    url: str
    p50: float
    p95: float
    queries: int
    slowest_sql: str
    slowest_ms: float
    cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0

    @property
    def target(self) -> float:
        return TARGET_P95_200_ROWS_MS if "200 per page" in self.label else TARGET_P95_MS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def backend_cpu_seconds(pid: int) -> float:
    """Return a PostgreSQL backend's CPU seconds so far (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def page_time(http, label: str, url: str, runs: int, warmup: int = 3) -> PageResult:
    """Request ``url`` warmup + runs times; return timings and query stats.

    Besides wall clock, the CPU the page cost here (Django) and in its
    PostgreSQL backend: on a shared box the wall clock mostly measures the
    other jobs.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = http.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} returned {response.status_code}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    timings = []
    cpu_started = time.process_time()
    db_started = backend_cpu_seconds(backend)
    for _ in range(runs):
        started = time.perf_counter()
        http.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / runs
    db_cpu_ms = (backend_cpu_seconds(backend) - db_started) * 1000 / runs
    with CaptureQueriesContext(connection) as ctx:
        http.get(url)
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    return PageResult(
        label=label,
        url=url,
        p50=statistics.median(timings),
        p95=percentile(timings, 0.95),
        queries=len(ctx.captured_queries),
        slowest_sql=slowest["sql"],
        slowest_ms=float(slowest["time"]) * 1000,
        cpu_ms=cpu_ms,
        db_cpu_ms=db_cpu_ms,
    )


def emails_seed(*, pending: int, sent: int) -> int:
    """Give the book a review queue and a sent history, once (a kept book keeps it).

    ``pending`` drafts await review (at-risk clients who consented) and ``sent``
    emails went out over the last year to other clients, so the reviewer's pages
    list, filter and count a real table. Set-based INSERT ... SELECT: seconds.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM emails_reengagementemail)")
        if cursor.fetchone()[0]:
            return 0
        columns = (
            "client_id, status, idempotency_key, subject, preheader, body, provider, "
            "model, prompt_version, prompt_tokens, completion_tokens, cost_usd, "
            "attempts, error, rejection_reason, edited, provider_message_id, "
            "send_cost_usd, sent_at, created_at, updated_at"
        )
        text = (
            "'A few new ideas for you, ' || c.first_name, 'Your stylist has ideas', "
            "'Hi ' || c.first_name || ', I have been keeping an eye out for pieces "
            "in the spirit of your last Fix.', 'offline-template', '', "
            "(ARRAY['v1', 'v2'])[1 + c.id %% 2], 0, 0, 0, 1, '', '', false, ''"
        )
        cursor.execute(
            f"INSERT INTO emails_reengagementemail ({columns}) "  # noqa: S608 - constants only
            f"SELECT c.id, 'pending_review', 'bench-admin:' || c.id, {text}, 0, "
            "NULL, now() - (c.id %% 72) * interval '1 hour', now() "
            "FROM customers_client c JOIN scoring_clientscore s ON s.client_id = c.id "
            "WHERE s.risk_tier = 'at_risk' AND c.marketing_consent "
            "ORDER BY c.id LIMIT %s",
            [pending],
        )
        made = cursor.rowcount
        cursor.execute(
            f"INSERT INTO emails_reengagementemail ({columns}) "  # noqa: S608 - constants only
            f"SELECT c.id, 'sent', 'bench-admin-sent:' || c.id, {text}, 0.0001, "
            "now() - (c.id %% 365) * interval '1 day', "
            "now() - (c.id %% 365) * interval '1 day' - interval '2 hours', now() "
            "FROM customers_client c WHERE NOT EXISTS (SELECT 1 FROM "
            "emails_reengagementemail e WHERE e.client_id = c.id) "
            "ORDER BY c.id DESC LIMIT %s",
            [sent],
        )
        made += cursor.rowcount
        cursor.execute("ANALYZE emails_reengagementemail")
    return made


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def table_print(results: list[PageResult]) -> None:
    print()
    print(
        f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>7} {'DB CPU':>7} "
        f"{'queries':>8}  target"
    )
    print("-" * 98)
    for r in results:
        ok = "ok" if r.p95 < r.target else "MISS"
        print(
            f"{r.label:<46} {r.p50:8.1f} {r.p95:8.1f} {r.cpu_ms:7.1f} "
            f"{r.db_cpu_ms:7.1f} {r.queries:8d}  {ok}"
        )
    print(
        "CPU ms: this process (Django) per request; DB CPU: its PostgreSQL "
        f"backend's. Load average at the end: {os.getloadavg()[0]:.2f}"
    )
    print()


def run(args: argparse.Namespace) -> int:
    with bench_database(data_dir=args.data_dir):
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.test import Client as HttpClient

        from customers.models import Client
        from customers.roles import MANAGERS, REVIEWERS
        from emails.models import EmailStatus, ReengagementEmail

        if args.data_dir and bench_book_present(n_clients=args.clients):
            print(f"Reusing the {args.clients:,}-client book in {args.data_dir}")
        else:
            print(
                f"Generating {args.clients:,} clients x "
                f"~{args.orders_per_client} orders",
                flush=True,
            )
            summary = bench_data_generate(
                n_clients=args.clients,
                orders_per_client=args.orders_per_client,
                seed=args.seed,
            )
            print(
                f"Generated {summary.clients:,} clients, {summary.orders:,} orders "
                f"in {summary.seconds:.1f}s"
            )

        seeded = emails_seed(pending=args.pending_drafts, sent=args.sent_emails)
        if seeded:
            print(f"Seeded {seeded:,} emails (review queue and sent history)")

        user_model = get_user_model()
        manager, _ = user_model.objects.get_or_create(
            username="bench-manager",
            defaults={"email": "bench-manager@example.com", "is_staff": True},
        )
        manager.groups.add(Group.objects.get(name=MANAGERS))
        stylist = user_model.objects.get(username="bench-stylist-0")
        reviewer, _ = user_model.objects.get_or_create(
            username="bench-reviewer",
            defaults={"email": "bench-reviewer@example.com", "is_staff": True},
        )
        reviewer.groups.add(Group.objects.get(name=REVIEWERS))
        draft_pk = (
            ReengagementEmail.objects.filter(status=EmailStatus.PENDING_REVIEW)
            .values_list("pk", flat=True)
            .first()
        )
        client_pk = Client.objects.filter(order_count__gte=10).values_list(
            "pk", flat=True
        )[0]
        stylist_client_pk = Client.objects.filter(stylist=stylist).values_list(
            "pk", flat=True
        )[0]

        base = "/admin/customers/client/"
        pages = [
            ("changelist", base),
            ("search ?q=smith", f"{base}?q=smith"),
            ("filter ?tier=at_risk", f"{base}?tier=at_risk"),
            (
                "filter ?marketing_consent__exact=1",
                f"{base}?marketing_consent__exact=1",
            ),
            ("sorted by churn risk (desc)", f"{base}?o=-7"),
            (f"change page ({client_pk})", f"{base}{client_pk}/change/"),
            ("order changelist", "/admin/customers/order/"),
            ("order search ?q=smith", "/admin/customers/order/?q=smith"),
        ]
        results = []
        http = HttpClient()
        http.force_login(manager)
        for label, url in pages:
            results.append(page_time(http, f"manager: {label}", url, args.runs))
        stylist_http = HttpClient()
        stylist_http.force_login(stylist)
        for label, url in [
            ("changelist", base),
            ("search ?q=smith", f"{base}?q=smith"),
            ("change page", f"{base}{stylist_client_pk}/change/"),
            ("order changelist", "/admin/customers/order/"),
        ]:
            results.append(page_time(stylist_http, f"stylist: {label}", url, args.runs))
        reviewer_http = HttpClient()
        reviewer_http.force_login(reviewer)
        queue = "/admin/emails/reengagementemail/"
        reviewer_pages = [
            ("review queue", queue),
            ("all emails", f"{queue}?queue=all"),
            ("queue search ?q=smith", f"{queue}?q=smith"),
            ("client changelist", base),
        ]
        if draft_pk is not None:
            reviewer_pages.append(("draft page", f"{queue}{draft_pk}/change/"))
        for label, url in reviewer_pages:
            results.append(
                page_time(reviewer_http, f"reviewer: {label}", url, args.runs)
            )

        model_admin = admin.site._registry[Client]
        per_page = {}
        stylist_per_page = {}
        for size in (50, 200):
            model_admin.list_per_page = size
            per_page[size] = page_time(
                http, f"manager: changelist, {size} per page", base, args.runs
            )
            stylist_per_page[size] = page_time(
                stylist_http, f"stylist: changelist, {size} per page", base, args.runs
            )
        model_admin.list_per_page = 50
        results.extend(per_page.values())
        results.extend(stylist_per_page.values())

        table_print(results)
        same = (
            per_page[50].queries == per_page[200].queries
            and stylist_per_page[50].queries == stylist_per_page[200].queries
        )
        verdict = "constant" if same else "GROWS WITH PAGE SIZE"
        print(
            f"Queries with 50 vs 200 rows per page: {per_page[50].queries} vs "
            f"{per_page[200].queries} ({verdict})"
        )
        misses = [r for r in results if r.p95 >= r.target]
        for r in misses:
            print(
                f"\n=== {r.label}: p95 {r.p95:.0f} ms; slowest query "
                f"{r.slowest_ms:.0f} ms ===\n{r.slowest_sql}\n"
            )
            print(explain(r.slowest_sql))
        if args.explain_all:
            for r in results:
                print(f"\n=== {r.label} slowest query ({r.slowest_ms:.1f} ms) ===")
                print(explain(r.slowest_sql))
        return 1 if misses or not same else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--orders-per-client", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pending-drafts", type=int, default=20_000)
    parser.add_argument("--sent-emails", type=int, default=200_000)
    parser.add_argument("--explain-all", action="store_true")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the PostgreSQL cluster here and reuse its book on the next run "
        "(generating 1M clients takes minutes); it must hold a book of --clients",
    )
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
