"""Secrets from SSM Parameter Store (stitchengage/secrets.py), against moto's SSM."""

from __future__ import annotations

import boto3
import pytest

from stitchengage.secrets import ssm_parameters_load
from tests.support.project_process import django_run

PATH = "/stitchengage/production"
SECRET_KEY = "ssm-" + "k9Z" * 20


@pytest.fixture
def parameters(aws) -> None:
    ssm = boto3.client("ssm", endpoint_url=aws.endpoint_url)
    ssm.put_parameter(Name=f"{PATH}/SECRET_KEY", Value=SECRET_KEY, Type="SecureString")
    ssm.put_parameter(
        Name=f"{PATH}/OPENROUTER_API_KEY", Value="sk-or-test", Type="SecureString"
    )
    ssm.put_parameter(
        Name=f"{PATH}/SITE_URL", Value="https://ssm.example.com", Type="String"
    )
    # Not for this stage, and not directly under the path: neither is read.
    ssm.put_parameter(Name="/stitchengage/dev/SECRET_KEY", Value="dev", Type="String")
    ssm.put_parameter(Name=f"{PATH}/nested/X", Value="no", Type="String")


def test_parameters_under_the_path_become_environment_variables(parameters, aws):
    """SecureStrings are decrypted; names are the last path segment."""
    environ = {"SITE_URL": "https://env-wins.example.com"}
    loaded = ssm_parameters_load(
        path=PATH, endpoint_url=aws.endpoint_url, environ=environ
    )
    assert loaded == ["OPENROUTER_API_KEY", "SECRET_KEY"]
    assert environ == {
        "SECRET_KEY": SECRET_KEY,
        "OPENROUTER_API_KEY": "sk-or-test",
        "SITE_URL": "https://env-wins.example.com",  # the environment wins
    }


def test_settings_take_their_secrets_from_ssm_at_start_up(parameters, aws):
    """With SSM_PARAMETER_PATH set and no SECRET_KEY in the environment, DEBUG off
    loads, with the key and the API key read from Parameter Store."""
    result = django_run(
        "print(s.SECRET_KEY, s.OPENROUTER_API_KEY, s.SITE_URL)",
        drop={"SECRET_KEY", "OPENROUTER_API_KEY", "SITE_URL"},
        DEBUG="false",
        SSM_PARAMETER_PATH=PATH,
        AWS_ENDPOINT_URL=aws.endpoint_url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        SECRET_KEY,
        "sk-or-test",
        "https://ssm.example.com",
    ]
