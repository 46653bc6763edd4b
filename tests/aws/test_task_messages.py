"""Celery tasks from SQS on Lambda: producer -> SQS (moto) -> Lambda event -> handler.

Every message is published by the project's Celery app over kombu's SQS transport,
read back with boto3's ReceiveMessage, wrapped into the event Lambda delivers and
given to ``stitchengage.lambda_sqs.sqs_worker``; the poller's part (deleting what
was acknowledged, receiving again after the visibility timeout) is played by
tests/support/sqs_lambda.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from customers.models import OrderStatus
from emails.models import EmailStatus, ReengagementEmail
from stitchengage.lambda_sqs import sqs_worker
from tests.aws.conftest import MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_SECONDS
from tests.aws.tasks import fail_task, retry_once_task, succeed_task
from tests.customers.factories import ClientFactory, OrderFactory
from tests.emails.conftest import llm_server, snapshot_make  # noqa: F401
from tests.emails.conftest import llm_settings as llm_settings
from tests.support.fake_llm_server import rate_limited
from tests.support.sqs_lambda import sqs_deliver, sqs_receive

# The handler commits through Django's own connection, as on Lambda.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_holdout(settings) -> None:
    settings.REENGAGEMENT_HOLDOUT_SHARE = 0.0


def _at_risk_snapshot():
    client = ClientFactory(first_name="Ana")
    OrderFactory(
        client=client,
        ordered_at=timezone.now() - dt.timedelta(days=140),
        status=OrderStatus.KEPT,
        kept_items="denim jacket",
    )
    return snapshot_make(client)


def _headers(message: dict) -> dict:
    """Return the Celery headers of a message as kombu's SQS transport wrote it."""
    return json.loads(base64.b64decode(message["Body"]))["headers"]


def _redeliver_until_dead(queues, url: str) -> list:
    """Receive again after each visibility timeout until nothing is in flight."""
    deliveries = []
    while queues.count(url) + queues.count(
        url, "ApproximateNumberOfMessagesNotVisible"
    ):
        time.sleep(QUEUE_VISIBILITY_SECONDS + 0.2)
        messages = sqs_receive(queues.client, url)
        if messages:
            deliveries.append(
                sqs_deliver(queues.client, url, sqs_worker, messages=messages)
            )
        assert len(deliveries) <= MAX_RECEIVE_COUNT + 1, "redelivered forever"
    return deliveries


def test_draft_requested_on_the_web_is_drafted_by_the_lambda(celery_sqs):
    """A snapshot saved on the web queues its draft on SQS; the handler drafts it."""
    snapshot = _at_risk_snapshot()  # post_save enqueues on commit (autocommit here)
    (message,) = sqs_receive(celery_sqs.client, celery_sqs.urls["llm"])
    assert _headers(message)["task"] == "emails.generate_draft"

    delivery = sqs_deliver(
        celery_sqs.client, celery_sqs.urls["llm"], sqs_worker, messages=[message]
    )

    assert delivery.response == {"batchItemFailures": []}
    email = ReengagementEmail.objects.get(snapshot=snapshot)
    assert email.status == EmailStatus.PENDING_REVIEW
    assert "Ana" in email.body
    assert (
        celery_sqs.count(
            celery_sqs.urls["llm"], "ApproximateNumberOfMessagesNotVisible"
        )
        == 0
    )


def test_redelivered_draft_message_makes_no_second_draft(celery_sqs):
    """A message handled once and delivered again (lost delete) drafts nothing new."""
    snapshot = _at_risk_snapshot()
    url = celery_sqs.urls["llm"]
    first = sqs_deliver(celery_sqs.client, url, sqs_worker, delete=False)
    assert first.failed_ids == set()
    email = ReengagementEmail.objects.get(snapshot=snapshot)
    transitions = list(email.transitions.values_list("to_status", flat=True))

    time.sleep(QUEUE_VISIBILITY_SECONDS + 0.2)
    (again,) = sqs_receive(celery_sqs.client, url)
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    second = sqs_deliver(celery_sqs.client, url, sqs_worker, messages=[again])

    assert second.failed_ids == set()
    assert ReengagementEmail.objects.filter(snapshot=snapshot).count() == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
    assert list(email.transitions.values_list("to_status", flat=True)) == transitions


def test_failing_record_is_redelivered_alone_and_ends_in_the_dlq(celery_sqs):
    """Only the failed record is reported; after maxReceiveCount it is dead-lettered."""
    url, dlq = celery_sqs.urls["default"], celery_sqs.dead_letter_urls["default"]
    succeed_task.delay()
    failing = fail_task.delay()
    succeed_task.delay()
    messages = sqs_receive(celery_sqs.client, url)
    assert len(messages) == 3

    first = sqs_deliver(celery_sqs.client, url, sqs_worker, messages=messages)

    (failed_id,) = first.failed_ids
    (failed,) = [m for m in messages if m["MessageId"] == failed_id]
    assert _headers(failed)["id"] == failing.id
    assert len(first.acked_ids) == 2
    later = _redeliver_until_dead(celery_sqs, url)
    # Received MAX_RECEIVE_COUNT times in all, each time reported failed, then moved.
    assert [d.failed_ids for d in later] == [{failed_id}] * (MAX_RECEIVE_COUNT - 1)
    (dead,) = sqs_receive(celery_sqs.client, dlq)
    assert dead["MessageId"] == failed_id
    assert _headers(dead)["task"] == "tests.aws.fail"


def test_retry_with_countdown_is_republished_with_a_delay(celery_sqs):
    """self.retry(countdown=2) sends retry 1 with a delay; the original is acked."""
    url = celery_sqs.urls["default"]
    result = retry_once_task.delay(countdown=2)

    delivery = sqs_deliver(celery_sqs.client, url, sqs_worker)

    assert delivery.response == {"batchItemFailures": []}
    assert len(delivery.acked_ids) == 1
    assert celery_sqs.count(url, "ApproximateNumberOfMessagesDelayed") == 1
    assert sqs_receive(celery_sqs.client, url) == []  # held by SQS, not by a Lambda
    time.sleep(2.5)
    (retry,) = sqs_receive(celery_sqs.client, url)
    headers = _headers(retry)
    assert headers["id"] == result.id
    assert headers["retries"] == 1
    assert headers["eta"] is not None
    assert retry["MessageId"] not in delivery.acked_ids

    done = sqs_deliver(celery_sqs.client, url, sqs_worker, messages=[retry])

    assert done.response == {"batchItemFailures": []}
    assert (
        celery_sqs.count(url)
        + celery_sqs.count(url, "ApproximateNumberOfMessagesNotVisible")
        == 0
    )


def test_rate_limited_draft_is_retried_later_through_sqs(celery_sqs, llm_settings):
    """A 429 from the model puts the email back in queued and delays its retry."""
    llm_settings.enqueue(rate_limited(retry_after=120))
    snapshot = _at_risk_snapshot()
    url = celery_sqs.urls["llm"]

    delivery = sqs_deliver(celery_sqs.client, url, sqs_worker)

    assert delivery.response == {"batchItemFailures": []}
    assert ReengagementEmail.objects.get(snapshot=snapshot).status == EmailStatus.QUEUED
    assert celery_sqs.count(url, "ApproximateNumberOfMessagesDelayed") == 1
    assert sqs_receive(celery_sqs.client, url) == []


def test_eta_beyond_sqs_delay_is_delayed_again_on_receipt(celery_sqs):
    """A message received before its ETA goes back to its queue delayed; it is acked."""
    url = celery_sqs.urls["default"]
    eta = timezone.now() + dt.timedelta(hours=1)
    # delay_seconds=0 plays the message arriving after SQS's 15 minutes ran out.
    succeed_task.apply_async(eta=eta, delay_seconds=0)
    (message,) = sqs_receive(celery_sqs.client, url)

    delivery = sqs_deliver(celery_sqs.client, url, sqs_worker, messages=[message])

    assert delivery.response == {"batchItemFailures": []}
    assert celery_sqs.count(url, "ApproximateNumberOfMessagesDelayed") == 1
    assert celery_sqs.count(url) == 0


def test_long_countdown_is_held_by_sqs_for_its_maximum(celery_sqs):
    """A countdown over 15 minutes is published delayed (by SQS's 900 s at most)."""
    url = celery_sqs.urls["default"]
    succeed_task.apply_async(countdown=2000)
    assert celery_sqs.count(url, "ApproximateNumberOfMessagesDelayed") == 1
    assert sqs_receive(celery_sqs.client, url) == []


def test_unknown_and_malformed_records_fail_into_the_dlq(celery_sqs):
    """Unknown task names and bodies that are no Celery message end dead-lettered."""
    from stitchengage.celery import app

    url, dlq = celery_sqs.urls["default"], celery_sqs.dead_letter_urls["default"]
    app.send_task("tests.aws.no_such_task", queue="default")
    envelope = {"body": "", "content-type": "application/json", "properties": {}}
    bodies = {
        "not base64 or JSON": "this is {not json",
        "base64, not JSON": base64.b64encode(b"plain words").decode(),
        "no headers": base64.b64encode(json.dumps(envelope).encode()).decode(),
        "no task header": base64.b64encode(
            json.dumps({**envelope, "headers": {"id": "x"}}).encode()
        ).decode(),
    }
    for body in bodies.values():
        celery_sqs.client.send_message(QueueUrl=url, MessageBody=body)
    messages = sqs_receive(celery_sqs.client, url)
    assert len(messages) == 1 + len(bodies)

    first = sqs_deliver(celery_sqs.client, url, sqs_worker, messages=messages)

    assert first.failed_ids == {m["MessageId"] for m in messages}
    _redeliver_until_dead(celery_sqs, url)
    dead = sqs_receive(celery_sqs.client, dlq)
    assert {m["MessageId"] for m in dead} == first.failed_ids


def test_expired_message_is_acknowledged_without_running(celery_sqs):
    """A message past its ``expires`` is revoked and acknowledged, as on a worker."""
    url = celery_sqs.urls["default"]
    fail_task.apply_async(expires=timezone.now() - dt.timedelta(seconds=1))

    delivery = sqs_deliver(celery_sqs.client, url, sqs_worker)

    assert len(delivery.acked_ids) == 1
    assert delivery.response == {"batchItemFailures": []}
