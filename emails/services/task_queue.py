"""Publish Celery tasks after a commit without letting a failure undo the request.

The work is committed by the time these run, so a broker that cannot be reached
(kombu's ``OperationalError``) or, in eager mode, the task itself raising must not
turn it into an error page: the request did what it said. The failure is logged
and the row stays where a sweep (``manage.py generate_drafts``) finds it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# A broker URL may carry credentials (sqs://key:secret@, redis://:pass@).
_URL_USERINFO = re.compile(r"(\w+://)[^@/\s]*@")


def task_enqueue(task: Task, *args: Any) -> bool:
    """Publish ``task(*args)``; return False, logged, when that failed."""
    try:
        task.delay(*args)
    except Exception as exc:
        logger.error(
            "Could not enqueue %s%r, left for the sweep: %s: %s",
            task.name,
            args,
            type(exc).__name__,
            _URL_USERINFO.sub(r"\1[redacted]@", str(exc)),
            # An unreachable broker is expected and says it all; anything else
            # (an eager task's bug) needs its traceback.
            exc_info=not isinstance(exc, OperationalError),
        )
        return False
    return True


def task_enqueue_on_commit(task: Task, *args: Any) -> None:
    """Publish ``task(*args)`` once the current transaction commits."""
    transaction.on_commit(partial(task_enqueue, task, *args))


def task_enqueue_each(task: Task, each_args: Iterable[Any]) -> int:
    """Publish ``task(arg)`` for each argument; return how many were published.

    Stops at the first failure: with the broker down every further publish would
    wait out the same connection retries, and the sweep finds them all anyway.
    """
    published = 0
    for arg in each_args:
        if not task_enqueue(task, arg):
            break
        published += 1
    return published
