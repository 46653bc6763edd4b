"""Lambda entry point for Celery tasks delivered by SQS event sources.

zappa_settings.json maps each queue's event source to ``sqs_worker``; the
answer's ``batchItemFailures`` lists the records SQS is to deliver again (the
event source mappings report batch item failures, set by
``manage.py aws_event_sources``). The work is in stitchengage/services/task_messages.py.
"""

from __future__ import annotations

from typing import Any

import django
from django.apps import apps


def sqs_worker(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Run the batch's task messages through Celery; return the failed records."""
    if not apps.ready:
        django.setup()
    from stitchengage.services.task_messages import task_messages_run

    return task_messages_run(event=event, context=context)
