"""``manage.py aws_event_sources`` against a function and queues on moto's server."""

from __future__ import annotations

import io
import json
import zipfile
from io import StringIO

import boto3
import pytest
from django.core.management import CommandError, call_command

from tests.support.moto_server import MOTO_ACCOUNT_ID, REGION

FUNCTION_TIMEOUT = 900
QUEUES = ("stitchengage-default", "stitchengage-llm")


def _arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{MOTO_ACCOUNT_ID}:{name}"


def _zappa_settings(tmp_path, arns) -> str:
    events = [
        {"function": "stitchengage.zappa_events.nightly_rescore", "expression": "x"}
    ] + [
        {
            "function": "stitchengage.lambda_sqs.sqs_worker",
            "event_source": {"arn": arn, "batch_size": 5, "enabled": True},
        }
        for arn in arns
    ]
    path = tmp_path / "zappa_settings.json"
    path.write_text(
        json.dumps(
            {
                "production": {
                    "project_name": "stitchengage",
                    "aws_region": REGION,
                    "events": events,
                }
            }
        )
    )
    return str(path)


@pytest.fixture
def deployed(aws, tmp_path):
    """A function with one SQS event source per queue, as Zappa leaves them."""
    iam = boto3.client("iam", endpoint_url=aws.endpoint_url)
    role = iam.create_role(
        RoleName="stitchengage-production-ZappaLambdaExecutionRole",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"}),
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(
            "handler.py", "def lambda_handler(event, context):\n    pass\n"
        )
    lam = boto3.client("lambda", endpoint_url=aws.endpoint_url)
    lam.create_function(
        FunctionName="stitchengage-production",
        Runtime="python3.11",
        Role=role,
        Handler="handler.lambda_handler",
        Code={"ZipFile": package.getvalue()},
        Timeout=FUNCTION_TIMEOUT,
    )
    sqs = boto3.client("sqs", endpoint_url=aws.endpoint_url)
    for name in QUEUES:
        sqs.create_queue(QueueName=name)
        lam.create_event_source_mapping(
            FunctionName="stitchengage-production",
            EventSourceArn=_arn(name),
            BatchSize=5,
        )
    return lam, sqs, _zappa_settings(tmp_path, [_arn(name) for name in QUEUES])


def _run(path: str, *args: str) -> str:
    out = StringIO()
    call_command(
        "aws_event_sources",
        "--stage",
        "production",
        "--zappa-settings",
        path,
        *args,
        stdout=out,
    )
    return out.getvalue()


def _state(lam, sqs):
    mappings = lam.list_event_source_mappings(FunctionName="stitchengage-production")
    queues = {}
    for name in QUEUES:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        queues[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
            "Attributes"
        ]
    return mappings["EventSourceMappings"], queues


def test_command_configures_the_event_sources_once(deployed, settings):
    """A run sets batch failures, DLQs and visibility; the next has nothing to do."""
    lam, sqs, path = deployed
    settings.SQS_MAX_RECEIVE_COUNT = 4
    settings.SQS_MAX_CONCURRENCY = {"llm": 7, "default": 2}

    first = _run(path)

    assert "FunctionResponseTypes [] -> ['ReportBatchItemFailures']" in first
    assert "MaximumConcurrency None -> 7" in first
    assert "stitchengage-llm-dlq: queue None -> 'created'" in first
    assert "VisibilityTimeout 30 -> 5400" in first
    mappings, queues = _state(lam, sqs)
    assert [m["FunctionResponseTypes"] for m in mappings] == [
        ["ReportBatchItemFailures"]
    ] * 2
    limits = {
        m["EventSourceArn"].rsplit(":", 1)[-1]: m["ScalingConfig"]["MaximumConcurrency"]
        for m in mappings
    }
    assert limits == {"stitchengage-default": 2, "stitchengage-llm": 7}
    for name, attributes in queues.items():
        assert attributes["VisibilityTimeout"] == str(6 * FUNCTION_TIMEOUT)
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": _arn(f"{name}-dlq"),
            "maxReceiveCount": 4,
        }
        assert sqs.get_queue_url(QueueName=f"{name}-dlq")

    second = _run(path)

    assert second.startswith("Nothing to change")
    assert _state(lam, sqs) == (mappings, queues)


def test_dry_run_prints_the_changes_and_makes_none(deployed):
    """--dry-run lists what a run would change and leaves AWS as it was."""
    lam, sqs, path = deployed
    before = _state(lam, sqs)

    out = _run(path, "--dry-run")

    # Per mapping: response types and concurrency; per queue: DLQ, redrive,
    # visibility.
    assert out.count("Would change") == 2 * 2 + 3 * len(QUEUES)
    assert _state(lam, sqs) == before
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="stitchengage-llm-dlq")


def test_placeholder_account_ids_are_refused(aws, tmp_path):
    """The ARNs shipped in zappa_settings.json must be filled in before a run."""
    path = _zappa_settings(tmp_path, ["arn:aws:sqs:us-east-1:ACCOUNT_ID:q"])
    with pytest.raises(CommandError, match="placeholder account id"):
        _run(path)


@pytest.mark.usefixtures("deployed")
def test_a_queue_without_event_source_is_reported(tmp_path):
    """An SQS event Zappa did not map yet stops the run with a clear message."""
    path = _zappa_settings(tmp_path, [_arn(QUEUES[0]), _arn("stitchengage-other")])
    with pytest.raises(CommandError, match=r"no event source for .*stitchengage-other"):
        _run(path)


@pytest.mark.usefixtures("deployed")
def test_a_concurrency_outside_what_aws_allows_is_refused(deployed, settings):
    _, _, path = deployed
    settings.SQS_MAX_CONCURRENCY = {"llm": 1}
    with pytest.raises(CommandError, match="AWS allows 2-1000"):
        _run(path)
