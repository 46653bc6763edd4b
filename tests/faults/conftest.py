"""Fixtures of the fault tests: the real worker, the fake model, the test Redis."""

from __future__ import annotations

from django.db import connection

from tests.emails.conftest import (  # noqa: F401 - fixtures
    _no_holdout,
    broker,
    llm_server,
    llm_settings,
)
from tests.support.celery_worker import celery_worker  # noqa: F401 - fixture


def database_backends_terminate(*, waiting_on_lock: bool = False) -> int:
    """Terminate the other sessions of the test database; return how many.

    What a PostgreSQL restart or an RDS failover does to a worker: its statement
    in flight fails with ``OperationalError``. With ``waiting_on_lock``, only the
    sessions blocked on a lock (a task caught mid-work).
    """
    with connection.cursor() as cursor:
        # Inside a transaction the activity view is a snapshot: take a new one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND (NOT %s OR wait_event_type = 'Lock')",
            [waiting_on_lock],
        )
        return cursor.fetchone()[0]


def database_sessions_waiting_on_lock() -> int:
    """Return how many other sessions of the test database wait on a lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname ="
            " current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]
