"""Bulk benchmark data for PostgreSQL: clients and orders streamed with COPY.

``bench_database()`` starts a throwaway PostgreSQL cluster, points Django at it and
migrates; ``bench_data_generate()`` fills it. Rows are drawn in numpy chunks and
written as COPY text, so 1M clients / 10M orders take minutes, not hours:

    with bench_database() as dsn:
        bench_data_generate(n_clients=100_000, orders_per_client=10, seed=1)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _words(text: str) -> np.ndarray:
    return np.array(text.split())


FIRST_NAMES = _words(
    "Olivia Emma Charlotte Amelia Sophia Mia Isabella Ava Evelyn Harper Luna Camila "
    "Gianna Elizabeth Eleanor Ella Abigail Sofia Avery Scarlett Emily Aria Penelope "
    "Chloe Layla Mila Nora Hazel Madison Ellie Liam Noah Oliver James Elijah William "
    "Henry Lucas Benjamin Theodore Mateo Levi Sebastian Daniel Jack Michael"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez "
    "Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee "
    "Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young "
    "Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez "
    "Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Chen Wang "
    "Smithson Goldsmith Blacksmith"
)
CITIES = np.array(
    ["New York", "Chicago", "Houston", "Phoenix", "Denver", "Seattle", "Boston"]
)
TIME_ZONES = np.array(
    [
        "America/New_York",
        "America/Chicago",
        "America/Chicago",
        "America/Phoenix",
        "America/Denver",
        "America/Los_Angeles",
        "America/New_York",
    ]
)
STYLE_SETS = np.array(
    [
        json.dumps(s)
        for s in (["casual"], ["classic", "preppy"], ["edgy"], ["bohemian", "casual"])
    ]
)
BANDS = np.array(["value", "moderate", "premium", "luxury"])
TIERS = np.array(["healthy", "cooling", "at_risk", "lapsed", "unscored"])
TIER_WEIGHTS = [0.5, 0.2, 0.12, 0.13, 0.05]
STATUSES = np.array(["kept", "returned", "canceled", "shipped", "scheduled"])
STATUS_WEIGHTS = [0.72, 0.18, 0.04, 0.03, 0.03]
KEPT = np.array(["", "denim jacket", "denim jacket, striped tee", "wrap dress"])
NULL = r"\N"
CHUNK_CLIENTS = 20_000


@dataclass
class GenerateSummary:
    stylists: int
    clients: int
    orders: int
    seconds: float
    summary_seconds: float = 0.0  # rebuilding the per-client order summaries


@contextlib.contextmanager
def bench_database(
    *,
    dbname: str = "stitchengage_bench",
    keep: bool = False,
    data_dir: Path | None = None,
) -> Iterator[str]:
    """Start a throwaway PostgreSQL, point Django at it, migrate; yield its URL.

    The cluster lives in a temp directory on a free port and is stopped and removed
    on exit, also on error or Ctrl-C. It runs with fsync off: it is disposable.

    With ``data_dir`` the cluster lives there instead and is only stopped on exit:
    a later run with the same directory starts it again with its data (a 1M book
    takes minutes to generate) and migrates it, so new indexes are built on it.
    Use ``bench_book_present()`` to see whether the book is already there.
    """
    import port_for
    import psycopg
    from pytest_postgresql.executors import PostgreSQLExecutor

    class KeptExecutor(PostgreSQLExecutor):
        """Never initdb over or remove a kept data directory."""

        def init_directory(self) -> None:
            if not (Path(self.datadir) / "PG_VERSION").exists():
                super().init_directory()

        def clean_directory(self) -> None:
            pass

    kept = data_dir is not None
    if kept:
        tmp = Path(data_dir).resolve()
        tmp.mkdir(parents=True, exist_ok=True)
        keep = True
    else:
        tmp = Path(tempfile.mkdtemp(prefix="stitch-bench-", dir="/tmp"))
    port = port_for.get_port(None)
    executor_class = KeptExecutor if kept else PostgreSQLExecutor
    executor = executor_class(
        executable=str(REPO / "scripts" / "pg_ctl"),
        host="127.0.0.1",
        port=port,
        datadir=str(tmp / ("data" if kept else f"data-{port}")),
        unixsocketdir=str(tmp),
        logfile=str(tmp / f"postgresql.{port}.log"),
        startparams="-w",
        dbname=dbname,
        user="postgres",
        postgres_options=(
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c shared_buffers=256MB -c work_mem=16MB -c maintenance_work_mem=512MB "
            "-c max_wal_size=4GB"
        ),
    )
    try:
        executor.start()
        executor.wait_for_postgres()
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres"
        ) as conn:
            conn.autocommit = True
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [dbname]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')
        url = f"postgres://postgres@127.0.0.1:{port}/{dbname}"
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")
        # Production settings (DEBUG off) on plain http with no SNS topic: the
        # admin bench's test client would be redirected to https, and every
        # manage.py command would stop at the emails.E001 start-up check.
        os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
        os.environ.setdefault(
            "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS",
            "arn:aws:sns:us-east-1:123456789012:stitchengage-bench-events",
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        yield url
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(Exception):
            executor.stop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def book_arguments(parser) -> None:
    """Add the options of a benchmark on a (kept) 1M-client book to ``parser``."""
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--orders-per-client", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the PostgreSQL cluster here and reuse its book on later runs",
    )


def bench_book_ensure(*, n_clients: int, orders_per_client: float, kept: bool) -> None:
    """Reuse a kept database's book of this size, or generate one (seed 11)."""
    if kept and bench_book_present(n_clients=n_clients):
        print(f"reusing the {n_clients:,}-client book")
        return
    summary = bench_data_generate(
        n_clients=n_clients, orders_per_client=orders_per_client, seed=11
    )
    print(
        f"generated {summary.clients:,} clients, {summary.orders:,} orders "
        f"in {summary.seconds:.1f}s (order summaries rebuilt in "
        f"{summary.summary_seconds:.1f}s)"
    )


@dataclass(frozen=True)
class ChildUsage:
    """A benchmarked child process: wall seconds, its own peak RSS and CPU."""

    seconds: float
    peak_mb: float
    cpu_seconds: float
    stdout: str


def child_measure(
    args: list[str], *, env: dict[str, str], capture: bool = False
) -> ChildUsage:
    """Run ``args`` in the repository; return its ``ChildUsage`` (start-up included).

    ``os.wait4`` gives this child's own peak RSS and CPU, not the parent's.
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        args,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    out = child.stdout.read() if capture else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if code := os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args[1:])} exited with {code}")
    return ChildUsage(
        seconds=seconds,
        peak_mb=usage.ru_maxrss / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        stdout=out,
    )


def bench_book_present(*, n_clients: int) -> bool:
    """Return whether a kept database already holds a bench book of this size."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM customers_client")
        return cursor.fetchone()[0] == n_clients


def bench_data_generate(
    *,
    n_clients: int,
    orders_per_client: float = 10.0,
    seed: int = 0,
    n_stylists: int = 20,
    today: dt.date | None = None,
    progress: bool = True,
) -> GenerateSummary:
    """Create stylists, then COPY ``n_clients`` clients and their orders.

    Orders per client are 1 + Poisson(mean - 1). Foreign-key triggers are off
    during the load (the ids are generated consistently) and the tables are
    analysed afterwards so the planner sees the real sizes.
    """
    from django.db import connection

    started = time.perf_counter()
    today = today or dt.date.today()  # noqa: DTZ011 - a day, not an instant
    rng = np.random.default_rng(seed)
    stylist_ids = _stylists_create(n_stylists)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM customers_client")
        next_id = cursor.fetchone()[0] + 1
    raw = connection.connection  # psycopg 3 connection under Django's wrapper
    orders = 0
    with raw.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SET session_replication_role = replica")
        for start in range(0, n_clients, CHUNK_CLIENTS):
            size = min(CHUNK_CLIENTS, n_clients - start)
            ids = np.arange(next_id + start, next_id + start + size)
            orders += _chunk_copy(
                cur=cur,
                rng=rng,
                ids=ids,
                stylist_ids=stylist_ids,
                orders_per_client=orders_per_client,
                today=today,
            )
            if progress:
                print(
                    f"\r  {start + size:,}/{n_clients:,} clients, {orders:,} orders",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('customers_client', 'id'), "
            "(SELECT MAX(id) FROM customers_client))"
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('customers_order', 'id'), "
            "(SELECT MAX(id) FROM customers_order))"
        )
    raw.commit()
    if progress:
        print(file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_client")
        cursor.execute("ANALYZE customers_order")
        cursor.execute("ANALYZE scoring_clientscore")
    # The rows were COPYed past the write paths that keep each client's order
    # summary current: build them the way `score_clients --rebuild-summary` does.
    from customers.services.order_summary import client_order_summaries_rebuild

    summary_started = time.perf_counter()
    client_order_summaries_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_clientordersummary")
    return GenerateSummary(
        stylists=len(stylist_ids),
        clients=n_clients,
        orders=orders,
        seconds=time.perf_counter() - started,
        summary_seconds=time.perf_counter() - summary_started,
    )


def _stylists_create(count: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from customers.roles import STYLISTS

    user_model = get_user_model()
    users = [
        user_model(
            username=f"bench-stylist-{i}",
            email=f"bench-stylist-{i}@example.com",
            first_name=str(FIRST_NAMES[i % len(FIRST_NAMES)]),
            last_name=str(LAST_NAMES[i % len(LAST_NAMES)]),
            is_staff=True,
        )
        for i in range(count)
    ]
    user_model.objects.bulk_create(users, ignore_conflicts=True)
    stylists = list(
        user_model.objects.filter(username__startswith="bench-stylist-").order_by("pk")
    )
    Group.objects.get(name=STYLISTS).user_set.add(*stylists)
    return [user.pk for user in stylists]


def _s(values: np.ndarray) -> list[str]:
    return values.astype(str).tolist()


def _copy(cur, table: str, columns: list[str], data: list[list[str]]) -> None:
    """Stream columns of COPY-ready strings (already escaped) into ``table``."""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        rows = zip(*data, strict=True)
        batch = []
        for row in rows:
            batch.append("\t".join(row))
            if len(batch) == 50_000:
                copy.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            copy.write("\n".join(batch) + "\n")


def _timestamps(days: np.ndarray, seconds: np.ndarray) -> list[str]:
    """Return UTC timestamps as text from day offsets since the epoch and seconds."""
    stamps = days.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype(
        "timedelta64[s]"
    )
    return _s(stamps)


def _chunk_copy(
    *,
    cur,
    rng: np.random.Generator,
    ids: np.ndarray,
    stylist_ids: list[int],
    orders_per_client: float,
    today: dt.date,
) -> int:
    from customers.columns import CLIENT_PROFILE_COLUMNS, ORDER_FACTS
    from scoring.services.score_writes import CURRENT

    n = len(ids)
    today_days = (today - dt.date(1970, 1, 1)).days
    firsts = FIRST_NAMES[rng.integers(len(FIRST_NAMES), size=n)]
    lasts = LAST_NAMES[rng.integers(len(LAST_NAMES), size=n)]
    city = rng.integers(len(CITIES), size=n)
    signup = today_days - rng.integers(30, 3 * 365, size=n)
    tiers = rng.choice(TIERS, size=n, p=TIER_WEIGHTS)
    scored = tiers != "unscored"
    churn = np.round(rng.beta(2, 3, size=n), 4)
    engagement = rng.integers(0, 101, size=n)
    clv = np.round(rng.gamma(2.0, 150.0, size=n), 2)

    counts = 1 + rng.poisson(max(orders_per_client - 1, 0), size=n)
    m = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    span = today_days + 30 - signup[owner]
    day = signup[owner] + (rng.random(m) * span).astype(np.int64)
    secs = rng.integers(8 * 3600, 22 * 3600, size=m)
    status = rng.choice(STATUSES, size=m, p=STATUS_WEIGHTS)
    status = np.where(day > today_days, "scheduled", status)
    status = np.where((status == "scheduled") & (day <= today_days), "kept", status)
    kept = np.where(status == "kept", rng.integers(1, 6, size=m), 0)
    amount = np.round(kept * rng.uniform(40, 120, size=m), 2)
    shipped = np.isin(status, ["kept", "returned", "shipped"])
    rated = shipped & (rng.random(m) < 0.6)
    rating = rng.integers(1, 6, size=m)

    # Per-client order statistics from the generated orders.
    order_count = counts
    stamp = day * 86400 + secs
    last_stamp = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_stamp, owner, stamp)  # every Fix counts, as in order_facts

    names_lower = np.char.lower(firsts.astype(str))
    ids_s = _s(ids)
    emails = [
        f"{f}.{ln}.{i}@bench.example.com"
        for f, ln, i in zip(
            names_lower.tolist(),
            np.char.lower(lasts.astype(str)).tolist(),
            ids_s,
            strict=True,
        )
    ]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    last_order = _timestamps(last_stamp // 86400, last_stamp % 86400)
    _copy(
        cur,
        "customers_client",
        [
            "id",
            *CLIENT_PROFILE_COLUMNS,
            "quiet_days",
            "last_order_at",
            "order_count",
            "created_at",
            "updated_at",
        ],
        [
            ids_s,
            _s(firsts),
            _s(lasts),
            emails,
            [""] * n,
            _s(CITIES[city]),
            _s(TIME_ZONES[city]),
            _s(signup.astype("datetime64[D]")),
            [f"bench-{i}" for i in ids_s],
            _s(np.array(stylist_ids)[rng.integers(len(stylist_ids), size=n)]),
            _s(STYLE_SETS[rng.integers(len(STYLE_SETS), size=n)]),
            ["M"] * n,
            ["8"] * n,
            ["8.5"] * n,
            _s(BANDS[rng.integers(len(BANDS), size=n)]),
            _s(np.where(rng.random(n) < 0.8, "t", "f")),
            [NULL] * n,
            [""] * n,
            ["[]"] * n,
            [
                t if s >= 0 else NULL
                for t, s in zip(last_order, last_stamp, strict=True)
            ],
            _s(order_count),
            [now] * n,
            [now] * n,
        ],
    )
    k = int(scored.sum())
    _copy(
        cur,
        "scoring_clientscore",
        ["client_id", *CURRENT, "scored_at"],
        [
            _s(ids[scored]),
            _s(tiers[scored]),
            _s(engagement[scored]),
            _s(churn[scored]),
            _s(1 - churn[scored]),
            ["0.5"] * k,
            _s(clv[scored]),
            [now] * k,
        ],
    )
    ordered = _timestamps(day, secs)
    shipped_at = _timestamps(day + 2, secs)
    _copy(
        cur,
        "customers_order",
        ["client_id", *ORDER_FACTS, "created_at"],
        [
            _s(ids[owner]),
            ordered,
            [s if ok else NULL for s, ok in zip(shipped_at, shipped, strict=True)],
            _s(status),
            ["5"] * m,
            _s(kept),
            _s(KEPT[np.minimum(kept, 3)]),
            _s(amount),
            [r if ok else NULL for r, ok in zip(_s(rating), rated, strict=True)],
            [""] * m,
            [now] * m,
        ],
    )
    return m


def main() -> None:
    """Generate into a throwaway cluster and report the time (a smoke run)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--orders-per-client", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with bench_database():
        summary = bench_data_generate(
            n_clients=args.clients,
            orders_per_client=args.orders_per_client,
            seed=args.seed,
        )
    print(
        f"{summary.clients:,} clients, {summary.orders:,} orders, "
        f"{summary.stylists} stylists in {summary.seconds:.1f}s"
    )


if __name__ == "__main__":
    main()
