"""System checks of the SNS events settings (emails.checks)."""

from __future__ import annotations

import subprocess

import pytest
from django.core.checks import run_checks

from emails.checks import sns_events_check
from tests.support.project_process import python_run

TOPIC = "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events"


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = []
    return settings


def _ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_empty_trusted_topics_in_production_is_an_error(production):
    """DEBUG off, verification on and no trusted topic: emails.E001, with a hint."""
    (error,) = sns_events_check()
    assert error.id == "emails.E001"
    assert error.is_serious()
    assert "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS" in error.hint


def test_the_check_runs_with_every_command(production):
    """It is registered without deploy=True, so every manage.py command runs it."""
    assert "emails.E001" in _ids(run_checks(include_deployment_checks=False))


def test_debug_is_not_blocked(production):
    """make demo and local development (DEBUG on) need no topic."""
    production.DEBUG = True
    assert sns_events_check() == []


def test_configured_topic_passes(production):
    """A real topic ARN clears the check."""
    production.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    assert sns_events_check() == []


@pytest.mark.parametrize(
    "topic",
    [
        "stitchengage-ses-events",
        "arn:aws:sns:us-east-1:REPLACE-account-id:stitchengage-ses-events",
        "arn:aws:sqs:us-east-1:123456789012:stitchengage-ses-events",
    ],
)
def test_malformed_topic_arn_is_an_error(production, topic):
    """A name, placeholder or other service's ARN in the list: emails.E002."""
    production.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC, topic]
    assert _ids(sns_events_check()) == ["emails.E002"]


def test_verification_off_in_production_is_warned(production):
    """Switching signatures off in production is flagged (emails.W001)."""
    production.AWS_SES_VERIFY_EVENT_SIGNATURES = False
    assert _ids(sns_events_check()) == ["emails.W001"]


def _manage_check(**env: str) -> subprocess.CompletedProcess:
    return python_run(
        "manage.py",
        "check",
        drop={"DEBUG", "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS"},
        timeout=120,
        **{"SECRET_KEY": "k" * 20 + "Z9q" * 10, **env},
    )


@pytest.mark.slow
def test_manage_py_stops_in_production_without_a_topic():
    """A production manage.py command exits with emails.E001; DEBUG or a topic pass."""
    blocked = _manage_check(DEBUG="false")
    assert blocked.returncode != 0
    assert "emails.E001" in blocked.stderr
    assert _manage_check(DEBUG="true").returncode == 0
    configured = _manage_check(DEBUG="false", AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS=TOPIC)
    assert configured.returncode == 0, configured.stderr
