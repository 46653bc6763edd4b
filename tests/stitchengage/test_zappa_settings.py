"""zappa_settings.json: the stages Zappa reads, with no secret in the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zappa.cli import ZappaCLI

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"SECRET_KEY", "DATABASE_URL", "OPENROUTER_API_KEY", "AWS_SECRET_ACCESS_KEY"}


def stage_config(stage: str) -> dict:
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False
    cli.load_settings(settings_file=str(ROOT / "zappa_settings.json"))
    return cli.stage_config


@pytest.mark.parametrize("stage", ["dev", "production"])
def test_secrets_come_from_parameter_store_not_the_file(stage):
    """No secret is a Lambda variable; the stage names its SSM path instead."""
    config = stage_config(stage)
    variables = {
        **config.get("aws_environment_variables", {}),
        **config.get("environment_variables", {}),
    }
    assert not SECRETS & set(variables)
    assert variables["SSM_PARAMETER_PATH"] == f"/stitchengage/{stage}/"
    assert variables["DEBUG"] == "false"
    assert "remote_env" not in config


def test_production_extends_dev_with_the_nightly_job_sizes():
    """Production runs Python 3.11 in the VPC, sized for the nightly rescoring."""
    raw = json.loads((ROOT / "zappa_settings.json").read_text())
    assert raw["production"]["extends"] == "dev"
    config = stage_config("production")
    assert config["runtime"] == "python3.11"
    assert config["django_settings"] == "stitchengage.settings"
    assert config["vpc_config"]["SubnetIds"]
    assert config["memory_size"] >= 2048  # nightly peak ~1.2 GB
    assert config["timeout_seconds"] == 900
    assert config["slim_handler"] is True  # 277 MB unzipped > Lambda's 250 MB


@pytest.mark.parametrize("stage", ["dev", "production"])
def test_both_stages_run_the_send_dispatcher_every_few_minutes(stage, settings):
    """The dispatcher's EventBridge schedule matches SEND_DISPATCH_INTERVAL_MINUTES."""
    from stitchengage import zappa_events

    events = stage_config(stage)["events"]
    (dispatcher,) = (
        e for e in events if e["function"] == "stitchengage.zappa_events.send_dispatch"
    )
    minutes = settings.SEND_DISPATCH_INTERVAL_MINUTES
    assert dispatcher["expression"] == f"rate({minutes} minutes)"
    assert callable(zappa_events.send_dispatch)
    functions = [e["function"] for e in events]
    assert "stitchengage.zappa_events.nightly_rescore" in functions
    assert functions.count("stitchengage.lambda_sqs.sqs_worker") == 3
