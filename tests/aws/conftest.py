"""AWS code paths against moto's server mode on 127.0.0.1.

``aws`` starts one moto server per test session, points every AWS client at it
through ``AWS_ENDPOINT_URL`` and test credentials, and resets it before each test.
``sqs_queues`` creates the Celery queues there; ``celery_sqs`` points the Celery
app at them as production settings do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import kombu.pools
import pytest

from tests.support.moto_server import (
    CREDENTIALS,
    MOTO_ACCOUNT_ID,
    REGION,
    MotoServer,
    moto_server_start,
    moto_server_stop,
)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = moto_server_start()
    saved = {key: os.environ.get(key) for key in [*CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint_url
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        moto_server_stop(server)


@pytest.fixture
def aws(moto_server: MotoServer, settings) -> MotoServer:
    """A clean local AWS for one test, with Django's AWS settings pointed at it."""
    moto_server.reset()
    # settings.py derives these from AWS_ENDPOINT_URL when it loads, which was
    # before this server existed (test_settings_endpoints checks the derivation).
    settings.AWS_ENDPOINT_URL = moto_server.endpoint_url
    settings.AWS_S3_ENDPOINT_URL = moto_server.endpoint_url
    settings.AWS_SES_REGION_ENDPOINT_URL = moto_server.endpoint_url
    return moto_server


#: Short enough that a test sees a failed record again within a second or two.
QUEUE_VISIBILITY_SECONDS = 1
MAX_RECEIVE_COUNT = 3


@dataclass(frozen=True)
class SqsQueues:
    """The Celery queues on the local server, with their dead-letter queues."""

    client: Any
    urls: dict[str, str]
    dead_letter_urls: dict[str, str]

    def count(self, url: str, attribute: str = "ApproximateNumberOfMessages") -> int:
        attributes = self.client.get_queue_attributes(
            QueueUrl=url, AttributeNames=[attribute]
        )["Attributes"]
        return int(attributes[attribute])


@pytest.fixture
def sqs_queues(aws: MotoServer, settings) -> SqsQueues:
    """Create every Celery queue and its DLQ, with a redrive policy, on moto."""
    settings.SQS_MAX_RECEIVE_COUNT = MAX_RECEIVE_COUNT
    sqs = boto3.client("sqs", endpoint_url=settings.AWS_ENDPOINT_URL)
    urls, dead_letter_urls = {}, {}
    for name in settings.SQS_QUEUE_NAMES:
        sqs_name = settings.SQS_QUEUE_PREFIX + name
        dlq_url = sqs.create_queue(
            QueueName=sqs_name + settings.SQS_DEAD_LETTER_SUFFIX
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(
            QueueUrl=dlq_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
        urls[name] = sqs.create_queue(
            QueueName=sqs_name,
            Attributes={
                "VisibilityTimeout": str(QUEUE_VISIBILITY_SECONDS),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        dead_letter_urls[name] = dlq_url
    return SqsQueues(client=sqs, urls=urls, dead_letter_urls=dead_letter_urls)


def _celery_pools_reset(app) -> None:
    """Drop the app's broker connection pools so the next publish uses conf anew.

    Celery builds its pools from ``broker_url`` once, in kombu's process-wide pool
    registry; there is no public call to rebuild an app's (``app.close()`` also
    deregisters the app), so close kombu's and forget the app's.
    """
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_sqs(sqs_queues: SqsQueues, settings, monkeypatch) -> Iterator[SqsQueues]:
    """Point the project's Celery app at moto's SQS, configured as in production.

    Broker URL and transport options come from stitchengage/sqs_broker.py, as
    settings build them for ``CELERY_BROKER_URL=sqs://``: predefined queues with
    URLs built from the account id and region (moto's default account), endpoint
    from settings.AWS_ENDPOINT_URL. Tasks get the acknowledgement production's
    settings give them (``task_acks_on_failure_or_timeout=False``, which Celery
    copies onto each task when the app is finalized). Redis is back afterwards.
    """
    from stitchengage.celery import app
    from stitchengage.sqs_broker import sqs_broker_url, sqs_transport_options

    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}
    app.conf.update(
        broker_url=sqs_broker_url(
            broker_url="sqs://", endpoint_url=settings.AWS_ENDPOINT_URL
        ),
        broker_transport_options=sqs_transport_options(
            queues=settings.SQS_QUEUE_NAMES,
            prefix=settings.SQS_QUEUE_PREFIX,
            region=REGION,
            account_id=MOTO_ACCOUNT_ID,
            urls={},
            endpoint_url=settings.AWS_ENDPOINT_URL,
        ),
    )
    for task in app.tasks.values():
        monkeypatch.setattr(task, "acks_on_failure_or_timeout", False)
    _celery_pools_reset(app)
    try:
        yield sqs_queues
    finally:
        _celery_pools_reset(app)
        app.conf.update(saved)
