"""A real Celery worker subprocess on the test Redis and the test database.

Use it from a ``transaction=True`` test so the worker sees committed rows:

    def test_x(celery_worker):
        celery_worker(env={"OPENROUTER_API_KEY": "test", ...})
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 30.0
QUEUES = ("default", "llm", "send")


def database_url_of_test_db() -> str:
    """Return a DATABASE_URL for the database Django's tests actually use."""
    s = connection.settings_dict
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{quote(s['USER'], safe='')}:{password}" if password else s["USER"]
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def worker_start(
    *,
    broker_url: str,
    env: dict[str, str] | None = None,
    concurrency: int = 8,
    pool: str = "threads",
    include: tuple[str, ...] = (),
) -> subprocess.Popen:
    """Start a worker on every queue; wait until ready.

    ``pool="prefork"`` runs tasks in child processes a test can SIGKILL one at
    a time (the parent requeues the task at once and forks a new child);
    ``include`` names modules the worker imports at start, before forking.
    """
    from stitchengage.celery import app

    client = redis.Redis.from_url(broker_url)
    client.delete(*QUEUES)  # messages left by tests that ran without a worker
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "stitchengage.settings",
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": database_url_of_test_db(),
        # As in production: a connection pool sized to the threads, so Celery's
        # close-after-every-task returns connections instead of dropping them.
        "DB_POOL_MAX_SIZE": str(concurrency),
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "stitchengage",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "--pool",
            pool,
            "-c",
            str(concurrency),
            "-n",
            name,
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *(f"--include={module}" for module in include),
        ],
        cwd=ROOT,
        env=full_env,
    )
    hostname = name.replace("%h", os.uname().nodename)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Celery worker exited with {process.returncode}")
        # A connection of its own: Redis closes clients idle for 15 s
        # (pytest-redis' --timeout), so a pooled one from an earlier ping in the
        # same test session may be gone.
        with app.connection_for_write() as connection:
            if app.control.ping(
                destination=[hostname], timeout=0.5, connection=connection
            ):
                return process
    worker_stop(process)
    raise RuntimeError("Celery worker did not answer a ping in time")


def worker_stop(process: subprocess.Popen) -> None:
    """Stop a worker: warm shutdown, then kill if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def celery_worker(
    celery_broker: str, transactional_db
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Return a starter for real workers; every one started is stopped afterwards."""
    started: list[subprocess.Popen] = []

    def start(**kwargs) -> subprocess.Popen:
        process = worker_start(broker_url=celery_broker, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        worker_stop(process)
