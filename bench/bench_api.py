"""Benchmark the order-event API: 100,000 events in batches through gunicorn.

A throwaway PostgreSQL (``bench.datagen.bench_database``) and redis-server (the
Celery broker, so rescoring is only published on commit, never run in the
request), gunicorn serving ``stitchengage.wsgi`` on a free port, and client
threads posting ``POST /api/v1/orders`` batches of 500 events, each a new order
of one of 25,000 clients (created by their first event, updated by the later
ones), in the order a stream would carry them. Bodies are serialised before the
clock starts.

Prints events/second over the run and p50/p95 per batch; then posts the first
20 batches again (an idempotent re-send: nothing changes) and prints the same.
Target: >= 2,000 events/s on this 2-core machine, which also runs PostgreSQL,
Redis and these client threads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.bench_drafts import redis_server  # noqa: E402
from bench.datagen import bench_database  # noqa: E402
from bench.gunicorn_server import gunicorn_start  # noqa: E402

TARGET_EVENTS_PER_SECOND = 2000.0
STATUSES = ("kept", "kept", "kept", "returned", "shipped")


def events_make(*, n_events: int, n_clients: int) -> list[dict]:
    """Return ``n_events`` valid events spread over ``n_clients``, oldest first."""
    start = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    step = (dt.datetime.now(dt.UTC) - dt.timedelta(days=5) - start) / n_events
    events = []
    for n in range(n_events):
        c = n % n_clients
        ordered = start + step * n
        events.append(
            {
                "source_order_id": f"SO-{n:07d}",
                "client": {
                    "external_id": f"C-{c:06d}",
                    "email": f"client-{c}@bench.example.com",
                    "first_name": "Ada",
                    "last_name": f"Bench{c}",
                    "time_zone": "America/Chicago",
                    "signup_date": "2023-06-01",
                    "marketing_consent": c % 3 != 0,
                },
                "ordered_at": ordered.isoformat(),
                "shipped_at": (ordered + dt.timedelta(days=2)).isoformat(),
                "status": STATUSES[n % len(STATUSES)],
                "items_sent": 5,
                "items_kept": n % 6,
                "kept_items": "denim jacket" if n % 2 else "",
                "amount": f"{40 + n % 200}.{n % 100:02d}",
                "rating": 1 + n % 5 if n % 4 else None,
            }
        )
    return events


def batches_post(
    *, url: str, token: str, bodies: list[bytes], concurrency: int
) -> tuple[float, list[float], list[str]]:
    """POST the bodies from ``concurrency`` threads; return wall, latencies, errors."""
    import requests

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def work() -> None:
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        )
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            started = time.perf_counter()
            response = session.post(url, data=body, timeout=120)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:300]}")

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, errors


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, n_events: int, wall: float, latencies: list[float]) -> float:
    rate = n_events / wall
    print(
        f"{label}: {n_events:,} events in {len(latencies)} batches, {wall:.1f} s: "
        f"{rate:,.0f} events/s; per batch p50 {_percentile(latencies, 0.5) * 1000:.0f}"
        f" ms, p95 {_percentile(latencies, 0.95) * 1000:.0f} ms"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=25_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    args = parser.parse_args()

    import port_for
    import redis

    with (
        bench_database(dbname="stitchengage_bench_api") as dsn,
        redis_server() as broker,
    ):
        from api.services.tokens import token_create
        from customers.models import Client, Order

        _, token = token_create(name="bench", source="bench", scopes=["orders:write"])
        events = events_make(n_events=args.events, n_clients=args.clients)
        bodies = [
            json.dumps({"orders": events[i : i + args.batch]}).encode()
            for i in range(0, len(events), args.batch)
        ]
        port = port_for.get_port(None)
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "CELERY_BROKER_URL": broker,
            "API_RATE_LIMIT_PER_MINUTE": "1000000",
            "LOG_LEVEL": "WARNING",
        }
        server = gunicorn_start(
            port=port,
            workers=args.workers,
            env=env,
            ready_path="/api/v1/openapi.json",
        )
        try:
            url = f"http://127.0.0.1:{port}/api/v1/orders"
            wall, latencies, errors = batches_post(
                url=url, token=token, bodies=bodies, concurrency=args.concurrency
            )
            rate = report("new orders", len(events), wall, latencies)
            again = bodies[:20]
            wall2, latencies2, errors2 = batches_post(
                url=url, token=token, bodies=again, concurrency=args.concurrency
            )
            report("re-sent (unchanged)", len(again) * args.batch, wall2, latencies2)
        finally:
            server.terminate()
            server.wait(timeout=30)
        queued = redis.Redis.from_url(broker).llen("default")
        orders = Order.objects.count()
        clients = Client.objects.count()
        print(
            f"orders {orders:,}, clients {clients:,}; rescore tasks waiting in the "
            f"broker (published on commit, none run in a request): {queued:,}"
        )
        for error in (errors + errors2)[:5]:
            print("error:", error)
        ok = (
            not errors
            and not errors2
            and orders == len(events)
            and rate >= TARGET_EVENTS_PER_SECOND
        )
        print(
            f"target >= {TARGET_EVENTS_PER_SECOND:,.0f} events/s: "
            f"{'met' if ok else 'NOT met'}"
        )
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
