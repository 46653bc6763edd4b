"""Time the client admin on 100,000 clients / ~1,000,000 orders in PostgreSQL.

Run with ``make bench-admin`` (``BENCH_ARGS="--clients 20000 --runs 10"`` for a
quicker look). A throwaway cluster is started and removed. Each page is requested
with Django's test client as a manager and as a stylist, warmed up, then timed
``--runs`` times; the table shows p50/p95 in ms and the SQL queries per page. Pages
over the target get the EXPLAIN ANALYZE of their slowest query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datagen import bench_data_generate, bench_database

TARGET_P95_MS = 150.0


@dataclass
class PageResult:
    label: str
    url: str
    p50: float
    p95: float
    queries: int
    slowest_sql: str
    slowest_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def page_time(http, label: str, url: str, runs: int, warmup: int = 3) -> PageResult:
    """Request ``url`` warmup + runs times; return timings and query stats."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = http.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} returned {response.status_code}")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        http.get(url)
        timings.append((time.perf_counter() - started) * 1000)
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
    )


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def table_print(results: list[PageResult]) -> None:
    print()
    print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  target")
    print("-" * 80)
    for r in results:
        ok = "ok" if r.p95 < TARGET_P95_MS else "MISS"
        print(f"{r.label:<44} {r.p50:8.1f} {r.p95:8.1f} {r.queries:8d}  {ok}")
    print()


def run(args: argparse.Namespace) -> int:
    with bench_database():
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.test import Client as HttpClient

        from customers.models import Client
        from customers.roles import MANAGERS

        print(
            f"Generating {args.clients:,} clients x ~{args.orders_per_client} orders",
            flush=True,
        )
        summary = bench_data_generate(
            n_clients=args.clients,
            orders_per_client=args.orders_per_client,
            seed=args.seed,
        )
        print(
            f"Generated {summary.clients:,} clients, {summary.orders:,} orders in "
            f"{summary.seconds:.1f}s"
        )

        user_model = get_user_model()
        manager = user_model.objects.create_user(
            "bench-manager", "bench-manager@example.com", is_staff=True
        )
        manager.groups.add(Group.objects.get(name=MANAGERS))
        stylist = user_model.objects.get(username="bench-stylist-0")
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
        ]:
            results.append(page_time(stylist_http, f"stylist: {label}", url, args.runs))

        model_admin = admin.site._registry[Client]
        per_page = {}
        for size in (50, 200):
            model_admin.list_per_page = size
            per_page[size] = page_time(
                http, f"manager: changelist, {size} per page", base, args.runs
            )
        model_admin.list_per_page = 50
        results.extend(per_page.values())

        table_print(results)
        same = per_page[50].queries == per_page[200].queries
        verdict = "constant" if same else "GROWS WITH PAGE SIZE"
        print(
            f"Queries with 50 vs 200 rows per page: {per_page[50].queries} vs "
            f"{per_page[200].queries} ({verdict})"
        )
        misses = [r for r in results if r.p95 >= TARGET_P95_MS]
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
    parser.add_argument("--explain-all", action="store_true")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
