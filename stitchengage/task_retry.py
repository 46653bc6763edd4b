"""The retry policy every Celery task that touches the database shares.

A lost database connection (PostgreSQL restarted, RDS failing over, a backend
terminated, the pool handing out a dead connection) surfaces as Django's
``OperationalError`` or ``InterfaceError``. Every task is idempotent (claims by
conditional update, keyed rows), so running it again once the database is back
is safe; the policy only bounds how long it keeps trying.
"""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError

DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

#: Backoff 2, 4, 8 ... s (Celery's full jitter), capped at 5 minutes per wait.
DATABASE_RETRY_BACKOFF_SECONDS = 2
DATABASE_RETRY_BACKOFF_MAX_SECONDS = 300
#: 8 retries: the last waits reach 256 s, so a restart or a failover of several
#: minutes is ridden out, and a database gone for good gives up within ~10 min.
DATABASE_MAX_RETRIES = 8


def database_retry(
    *, extra: tuple[type[Exception], ...] = (), max_retries: int | None = None
) -> dict[str, Any]:
    """Return ``shared_task`` options that retry lost database connections.

    ``max_retries`` bounds these retries only (Celery's ``retry_kwargs``), so a
    task whose own retries are counted differently (none, or the send's) keeps
    them.
    """
    return {
        "autoretry_for": DATABASE_ERRORS + extra,
        "retry_backoff": DATABASE_RETRY_BACKOFF_SECONDS,
        "retry_backoff_max": DATABASE_RETRY_BACKOFF_MAX_SECONDS,
        "retry_jitter": True,
        "retry_kwargs": {
            "max_retries": DATABASE_MAX_RETRIES if max_retries is None else max_retries
        },
    }
