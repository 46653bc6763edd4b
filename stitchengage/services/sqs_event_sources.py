"""Deploy-time settings of the SQS event sources that Zappa cannot make.

Zappa creates one event source mapping per SQS entry of a stage's ``events``
(zappa/utilities.py, ``EventSourceMappingMixin``), with BatchSize, Enabled and a
batching window only. What the SQS worker (stitchengage/lambda_sqs.py) also needs:

1. every mapping of the function reports batch item failures
   (``FunctionResponseTypes=["ReportBatchItemFailures"]``), or a single failed
   record would have SQS redeliver the whole batch;
2. each queue has a dead-letter queue, named queue + ``SQS_DEAD_LETTER_SUFFIX``
   and created here when missing, through a RedrivePolicy with
   ``SQS_MAX_RECEIVE_COUNT`` receives;
3. each queue's visibility timeout is ``SQS_VISIBILITY_TIMEOUT_FACTOR`` (AWS
   advises 6) times the function's timeout, so a record is not redelivered while
   a slow batch still runs;
4. each mapping's ``ScalingConfig.MaximumConcurrency`` is its queue's entry in
   ``SQS_MAX_CONCURRENCY``: on Lambda that, not Celery's ``rate_limit``, keeps
   the LLM provider's and SES's rates.

``sqs_event_sources_configure`` compares before it writes: a second run changes
nothing and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from django.conf import settings

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


class EventSourcesConfigError(Exception):
    """The Zappa stage or the deployed function cannot be configured as asked."""


@dataclass(frozen=True)
class ZappaStage:
    """What this command needs of a Zappa stage."""

    function_name: str
    region: str
    sqs_arns: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One setting of ``target`` to write (or written): ``name``, ``old`` -> ``new``."""

    target: str
    name: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.target}: {self.name} {self.old!r} -> {self.new!r}"


def zappa_stage_read(*, path: Path, stage: str) -> ZappaStage:
    """Return the function name, region and SQS event ARNs of a Zappa stage.

    Zappa names the function ``<project_name>-<stage>`` and lets a stage
    ``extends`` another; both are followed here.
    """
    stages = json.loads(path.read_text())
    if stage not in stages:
        raise EventSourcesConfigError(f"No stage {stage!r} in {path}.")
    config: dict[str, Any] = {}
    name: str | None = stage
    while name:  # a stage's own keys win over those of the stage it extends
        config = {**stages[name], **config}
        name = stages[name].get("extends")
    arns = tuple(
        event["event_source"]["arn"]
        for event in config.get("events", [])
        if event.get("event_source", {}).get("arn", "").startswith("arn:aws:sqs:")
    )
    placeholders = [arn for arn in arns if not arn.split(":")[4].isdigit()]
    if placeholders:
        raise EventSourcesConfigError(
            "Replace the placeholder account id in the SQS event ARNs of "
            f"{path} ({', '.join(placeholders)})."
        )
    return ZappaStage(
        function_name=f"{config.get('project_name', '')}-{stage}".replace("_", "-"),
        region=config.get("aws_region") or settings.AWS_S3_REGION_NAME,
        sqs_arns=arns,
    )


def sqs_event_sources_configure(*, stage: ZappaStage, dry_run: bool) -> list[Change]:
    """Bring the stage's event source mappings and queues to the settings above.

    Return the changes made (or, with ``dry_run``, those that would be made).
    """
    session = boto3.Session(region_name=stage.region)
    lam = session.client("lambda", endpoint_url=settings.AWS_ENDPOINT_URL)
    sqs = session.client("sqs", endpoint_url=settings.AWS_ENDPOINT_URL)
    try:
        function = lam.get_function_configuration(FunctionName=stage.function_name)
    except lam.exceptions.ResourceNotFoundException as exc:
        raise EventSourcesConfigError(
            f"No function {stage.function_name}: deploy the stage first."
        ) from exc
    changes = _mappings_configure(lam, stage=stage, dry_run=dry_run)
    visibility = function["Timeout"] * settings.SQS_VISIBILITY_TIMEOUT_FACTOR
    for arn in stage.sqs_arns:
        changes += _queue_configure(
            sqs, arn=arn, visibility=visibility, dry_run=dry_run
        )
    return changes


def _mappings_configure(lam, *, stage: ZappaStage, dry_run: bool) -> list[Change]:
    mappings = [
        mapping
        for page in lam.get_paginator("list_event_source_mappings").paginate(
            FunctionName=stage.function_name
        )
        for mapping in page["EventSourceMappings"]
    ]
    missing = set(stage.sqs_arns) - {m["EventSourceArn"] for m in mappings}
    if missing:
        raise EventSourcesConfigError(
            f"{stage.function_name} has no event source for "
            f"{', '.join(sorted(missing))}: run `zappa schedule` (or deploy) first."
        )
    changes = []
    for mapping in mappings:
        target = f"event source {mapping['UUID']} ({mapping['EventSourceArn']})"
        update: dict[str, Any] = {}
        types = mapping.get("FunctionResponseTypes") or []
        if REPORT_BATCH_ITEM_FAILURES not in types:
            new = [*types, REPORT_BATCH_ITEM_FAILURES]
            changes.append(Change(target, "FunctionResponseTypes", types, new))
            update["FunctionResponseTypes"] = new
        limit = _max_concurrency(mapping["EventSourceArn"])
        old_limit = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if limit is not None and old_limit != limit:
            changes.append(Change(target, "MaximumConcurrency", old_limit, limit))
            update["ScalingConfig"] = {"MaximumConcurrency": limit}
        if update and not dry_run:
            lam.update_event_source_mapping(UUID=mapping["UUID"], **update)
    return changes


def _max_concurrency(queue_arn: str) -> int | None:
    """Return the concurrency cap of the Celery queue behind an SQS queue ARN."""
    name = queue_arn.rsplit(":", 1)[-1]
    prefix = settings.SQS_QUEUE_PREFIX
    celery_queue = name[len(prefix) :] if prefix and name.startswith(prefix) else name
    limit = settings.SQS_MAX_CONCURRENCY.get(celery_queue)
    if limit is not None and not 2 <= limit <= 1000:
        raise EventSourcesConfigError(
            f"SQS_MAX_CONCURRENCY for {celery_queue!r} is {limit}; AWS allows 2-1000."
        )
    return limit


def _queue_configure(sqs, *, arn: str, visibility: int, dry_run: bool) -> list[Change]:
    _, _, _, region, account, name = arn.split(":")
    dlq_name = name + settings.SQS_DEAD_LETTER_SUFFIX
    dlq_arn = f"arn:aws:sqs:{region}:{account}:{dlq_name}"
    changes = []
    if not _queue_url(sqs, name=dlq_name, account=account):
        changes.append(Change(target=dlq_arn, name="queue", old=None, new="created"))
        if not dry_run:
            sqs.create_queue(
                QueueName=dlq_name,
                Attributes={
                    "MessageRetentionPeriod": str(
                        settings.SQS_DEAD_LETTER_RETENTION_SECONDS
                    )
                },
            )
    url = _queue_url(sqs, name=name, account=account)
    if not url:
        raise EventSourcesConfigError(f"No queue {arn}: create it first.")
    current = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy", "VisibilityTimeout"]
    )["Attributes"]
    old_redrive = json.loads(current.get("RedrivePolicy") or "null")
    redrive = {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": settings.SQS_MAX_RECEIVE_COUNT,
    }
    wanted: dict[str, str] = {}
    if not old_redrive or (
        old_redrive.get("deadLetterTargetArn"),
        int(old_redrive.get("maxReceiveCount", 0)),
    ) != (dlq_arn, settings.SQS_MAX_RECEIVE_COUNT):
        changes.append(Change(arn, "RedrivePolicy", old_redrive, redrive))
        wanted["RedrivePolicy"] = json.dumps(redrive)
    old_visibility = int(current.get("VisibilityTimeout", 0))
    if old_visibility != visibility:
        changes.append(Change(arn, "VisibilityTimeout", old_visibility, visibility))
        wanted["VisibilityTimeout"] = str(visibility)
    if wanted and not dry_run:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=wanted)
    return changes


def _queue_url(sqs, *, name: str, account: str) -> str | None:
    try:
        return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
            "QueueUrl"
        ]
    except sqs.exceptions.QueueDoesNotExist:
        return None
