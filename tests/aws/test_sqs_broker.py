"""Celery's SQS broker configuration, as settings build it for production."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from stitchengage.sqs_broker import (
    sqs_broker_url,
    sqs_delay_seconds,
    sqs_message_delay_set,
    sqs_transport_options,
)

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def test_broker_url_takes_the_endpoint_and_keeps_credentials():
    """kombu reads the SQS endpoint from the URL's host; without one, AWS's."""
    assert sqs_broker_url(broker_url="sqs://", endpoint_url=None) == "sqs://"
    assert (
        sqs_broker_url(broker_url="sqs://", endpoint_url="http://127.0.0.1:5000")
        == "sqs://127.0.0.1:5000"
    )
    assert (
        sqs_broker_url(broker_url="sqs://key:secret@", endpoint_url="https://h:1")
        == "sqs://key:secret@h:1"
    )


def test_queues_are_predefined_from_the_account_or_explicit_urls():
    """Every Celery queue gets a URL; an explicit one wins over the account's."""
    options = sqs_transport_options(
        queues=("default", "llm"),
        prefix="se-",
        region="eu-west-1",
        account_id="111122223333",
        urls={"llm": "https://sqs.eu-west-1.amazonaws.com/999/llm-queue"},
        endpoint_url=None,
    )
    assert options == {
        "region": "eu-west-1",
        "predefined_queues": {
            "default": {
                "url": "https://sqs.eu-west-1.amazonaws.com/111122223333/se-default"
            },
            "llm": {"url": "https://sqs.eu-west-1.amazonaws.com/999/llm-queue"},
        },
    }
    with pytest.raises(ImproperlyConfigured, match="AWS_ACCOUNT_ID"):
        sqs_transport_options(
            queues=("default",),
            prefix="",
            region="r",
            account_id="",
            urls={},
            endpoint_url=None,
        )


def test_delay_rounds_up_and_stops_at_fifteen_minutes():
    """SQS holds a message until its ETA, at most 900 s; nothing for a due one."""
    assert sqs_delay_seconds(eta=NOW + dt.timedelta(seconds=2.1), now=NOW) == 3
    assert sqs_delay_seconds(eta=NOW + dt.timedelta(hours=2), now=NOW) == 900
    assert sqs_delay_seconds(eta=NOW, now=NOW) is None
    assert sqs_delay_seconds(eta=None, now=NOW) is None


def test_message_delay_comes_from_the_eta_header_unless_set():
    """The publish hook turns Celery's eta header into kombu's delay_seconds."""
    properties = {}
    eta = (NOW + dt.timedelta(seconds=30)).isoformat()
    sqs_message_delay_set(headers={"eta": eta}, properties=properties, now=NOW)
    assert properties == {"delay_seconds": 30}
    chosen = {"delay_seconds": 0}
    sqs_message_delay_set(headers={"eta": eta}, properties=chosen, now=NOW)
    assert chosen == {"delay_seconds": 0}
    none = {}
    sqs_message_delay_set(headers={"eta": None}, properties=none, now=NOW)
    assert none == {}


def test_production_settings_configure_celery_for_sqs():
    """With CELERY_BROKER_URL=sqs:// the settings predefine the queues and reject
    failed tasks (so the redrive policy dead-letters them)."""
    script = (
        "import json, stitchengage.settings as s; print(json.dumps({"
        "'url': s.CELERY_BROKER_URL, 'options': s.CELERY_BROKER_TRANSPORT_OPTIONS,"
        "'acks_on_failure': s.CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT}))"
    )
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "sqs://",
        "AWS_ACCOUNT_ID": "111122223333",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    }
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config = json.loads(out)
    assert config["url"] == "sqs://127.0.0.1:4566"
    assert config["acks_on_failure"] is False
    assert config["options"]["is_secure"] is False
    assert config["options"]["predefined_queues"] == {
        name: {
            "url": f"https://sqs.us-east-1.amazonaws.com/111122223333/stitchengage-{name}"
        }
        for name in ("default", "llm", "send")
    }
    assert "queue_name_prefix" not in config["options"]
