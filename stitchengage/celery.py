"""The Celery application, in the layout of Celery's "First steps with Django"."""

import os
from datetime import UTC, datetime

from celery import Celery
from celery.signals import before_task_publish

from stitchengage.sqs_broker import sqs_message_delay_set

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")

app = Celery("stitchengage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect(dispatch_uid="stitchengage.sqs_delay")
def task_message_delay(headers=None, properties=None, **kwargs) -> None:
    """On SQS, let the queue hold a countdown or ETA (every publish, retries too)."""
    if str(app.conf.broker_url or "").startswith("sqs://") and headers is not None:
        sqs_message_delay_set(
            headers=headers, properties=properties, now=datetime.now(tz=UTC)
        )
