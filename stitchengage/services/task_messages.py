"""Run Celery task messages that Lambda received from SQS, as a worker would.

The web function publishes tasks with Celery to SQS; Lambda's SQS event source
hands batches of those messages to ``stitchengage.lambda_sqs.sqs_worker``, which
calls ``task_messages_run``. Each record becomes a task run like this:

1. Decode the body with kombu's own SQS transport code (``Channel`` of the app's
   broker connection): base64, then the JSON envelope of body, headers and
   properties, then the body in its ``body_encoding``. Nothing is re-implemented,
   so anything kombu's SQS producer wrote decodes here.
2. Check the Celery message (protocol 2: ``task`` and ``id`` headers) and find the
   task in ``app.tasks``. A malformed body or an unknown task name is a record
   failure (see "Failures" below).
3. Build Celery's own worker ``Request`` from the message: it parses ``retries``,
   ``eta``, ``expires``, delivery info and properties exactly as a worker does. An
   expired message is marked revoked and acknowledged, as a worker would.
4. A message whose ETA is still ahead (a delay longer than SQS's 15 minutes, or
   a clock a little behind) is sent again, byte for byte, to the queue it came
   from with ``DelaySeconds`` of what remains (at most 900); the record is
   acknowledged. No Lambda ever sleeps.
5. Run the task with ``celery.app.trace.trace_task``, the tracer a worker's pool
   runs, with ``is_eager=False``. That keeps the task id, the retry count, the
   result backend, the task signals, ``autoretry_for`` and ``self.retry()``:
   ``Task.retry`` publishes the next attempt through the broker (SQS) with
   ``retries + 1`` and the countdown as an ETA, which the ``before_task_publish``
   hook in stitchengage/celery.py turns into ``DelaySeconds``; then the original
   record is acknowledged. ``Task.apply()`` would not do: in eager mode a retry
   runs again at once in the same process, ignoring the countdown.
6. Report the outcome to Powertools' ``BatchProcessor``: a record whose handler
   raised is listed in ``batchItemFailures`` and only that record is redelivered.

Acknowledgement follows the task's Celery attributes, as ``Request.on_failure``
does on a worker. All tasks here are ``acks_late``: a record is acknowledged (left
out of ``batchItemFailures``) only after the task returned, retried or was
ignored. A task that raised is rejected when ``acks_late`` and not
``acks_on_failure_or_timeout`` (settings set that for the SQS broker), so SQS
redelivers it after the visibility timeout; otherwise its failure is acknowledged,
as a worker acknowledges it. ``Reject`` from a task is a failure either way. A
Lambda that dies or times out answers nothing, so its whole batch is redelivered:
``reject_on_worker_lost``. Tasks are idempotent (they claim their rows with a
conditional update), so a redelivered message does nothing twice.

Failures: malformed and unknown-task records are reported as batch item
failures rather than sent to the dead-letter queue by hand. SQS then counts their
receives and its redrive policy moves them to the queue's DLQ after
``SQS_MAX_RECEIVE_COUNT`` receives, exactly as for a task that keeps failing: one
path to the DLQ, the original message (id, body, attributes) kept by SQS itself,
no SendMessage right on the DLQ, and an unknown task name caused by a deploy in
progress (web ahead of the worker) still gets its later tries. Redeliveries are
spaced by the visibility timeout, so this is never a hot loop.

Not carried over from a worker: rate limits and time limits (Celery enforces them
in the worker's consumer and pool; on Lambda the function timeout and the event
source's concurrency bound the work), revokes by id, and worker events.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from celery import states
from celery.app.trace import trace_task
from celery.exceptions import InvalidTaskError
from celery.worker.request import Request
from django.db import close_old_connections
from kombu.serialization import prepare_accept_content
from kombu.transport.virtual import Channel

from stitchengage.celery import app
from stitchengage.sqs_broker import sqs_delay_seconds

logger = logging.getLogger(__name__)

HOSTNAME = f"lambda@{socket.gethostname()}"


class TaskMessageError(Exception):
    """The record is no Celery task message this app can run (report it failed)."""


class TaskRunError(Exception):
    """The task raised or rejected its message; SQS is to deliver it again."""


def task_messages_run(*, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run every task message of an SQS event; return the ``batchItemFailures``."""
    processor = BatchProcessor(
        event_type=EventType.SQS, raise_on_entire_batch_failure=False, logger=logger
    )
    with app.connection_for_write() as connection:
        record_run = partial(task_message_run, channel=connection.default_channel)
        return process_partial_response(
            event=event, record_handler=record_run, processor=processor, context=context
        )


def task_message_run(record: SQSRecord, *, channel: Channel) -> str:
    """Run the task of one SQS record; raise to have the record redelivered.

    Return what happened (a Celery state, or "delayed"/"revoked") for the log.
    """
    queue_name, queue_url = _queue_of(record, channel=channel)
    message = _message_decode(record, channel=channel, queue=(queue_name, queue_url))
    task = app.tasks.get(message.headers["task"])
    if task is None:
        raise TaskMessageError(f"unknown task {message.headers['task']!r}")
    try:
        request = Request(message, app=app, task=task, hostname=HOSTNAME)
    except (InvalidTaskError, ValueError, TypeError, KeyError) as exc:
        raise TaskMessageError(f"not a Celery task message: {exc!r}") from exc

    if request.revoked():  # expired: marked revoked in the result backend
        return states.REVOKED
    now = datetime.now(tz=UTC)
    delay = sqs_delay_seconds(eta=request.eta, now=now)
    if delay is not None:
        channel.sqs(queue=queue_name).send_message(
            QueueUrl=queue_url, MessageBody=record.body, DelaySeconds=delay
        )
        logger.info("Task %s[%s] not due, delayed %ss", task.name, request.id, delay)
        return "delayed"

    _, _, embed = message.payload
    close_old_connections()  # as Celery's Django fixup does around a worker's task
    try:
        _, info, _, _ = trace_task(
            task,
            request.id,
            request.args,
            request.kwargs,
            {**request.request_dict, "is_eager": False, **(embed or {})},
            app=app,
            hostname=HOSTNAME,
            loader=app.loader,
        )
    finally:
        close_old_connections()
    return _outcome(task, request, info)


def _queue_of(record: SQSRecord, *, channel: Channel) -> tuple[str, str]:
    """Return the Celery queue name and URL of the SQS queue the record came from."""
    sqs_name = record.event_source_arn.rsplit(":", 1)[-1]
    for name, queue in channel.predefined_queues.items():
        if queue["url"].rstrip("/").rsplit("/", 1)[-1] == sqs_name:
            return name, queue["url"]
    raise TaskMessageError(f"queue {sqs_name!r} is not a predefined Celery queue")


def _message_decode(record: SQSRecord, *, channel: Channel, queue: tuple[str, str]):
    """Return the kombu message of a record, decoded by kombu's SQS channel."""
    raw = {
        "Body": record.body,
        "ReceiptHandle": record.receipt_handle,
        "MessageId": record.message_id,
        "Attributes": dict(record.attributes.raw_event),
    }
    try:
        payload = channel._message_to_python(raw, *queue)
        # Only the serializers the app accepts (JSON), as a worker's consumer.
        accept = prepare_accept_content(app.conf.accept_content)
        message = channel.Message(payload, channel=channel, accept=accept)
        message.decode()  # the task body, in its content type, now
    except Exception as exc:
        raise TaskMessageError(f"undecodable body: {exc!r}") from exc
    headers = message.headers or {}
    if not isinstance(headers, dict) or not headers.get("task") or "id" not in headers:
        raise TaskMessageError("no Celery protocol 2 headers (task, id)")
    return message


def _outcome(task, request: Request, info) -> str:
    """Return the state of a traced run, or raise when SQS is to redeliver it."""
    if info is None:
        return states.SUCCESS
    if info.state in (states.RETRY, states.IGNORED):
        # A retry was published by Task.retry(); the original is done.
        return info.state
    if info.state == states.REJECTED:
        raise TaskRunError(f"{task.name}[{request.id}] rejected: {info.retval!r}")
    if task.acks_late and not task.acks_on_failure_or_timeout:
        raise TaskRunError(f"{task.name}[{request.id}] raised {info.retval!r}")
    return info.state
