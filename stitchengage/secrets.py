"""Secrets from AWS SSM Parameter Store, read into the environment at cold start.

Zappa can put variables in the Lambda configuration (``aws_environment_variables``,
visible in plain text to anyone who can read the function) or load a JSON file
from S3 (``remote_env``); it has no Parameter Store or Secrets Manager support. So
the settings module calls ``ssm_parameters_load`` when ``SSM_PARAMETER_PATH`` is
set, before it reads any secret: every parameter directly under the path becomes
an environment variable named after the parameter's last segment
(``/stitchengage/production/SECRET_KEY`` -> ``SECRET_KEY``). SecureString values
are decrypted with the function role's KMS permission. A variable already in the
environment wins, as it does over a ``.env`` file, so one can be overridden for a
single deploy without editing the parameter.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

import boto3


def ssm_parameters_load(
    *,
    path: str,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    environ: MutableMapping[str, str] = os.environ,
) -> list[str]:
    """Set ``environ`` from the parameters under ``path``; return the names set.

    Fail loudly (botocore's ClientError) when the parameters cannot be read:
    a Lambda that started without its secrets would only fail later and less
    clearly, on a missing SECRET_KEY or database.
    """
    prefix = "/" + path.strip("/") + "/"
    client = boto3.client("ssm", endpoint_url=endpoint_url, region_name=region_name)
    loaded = []
    pages = client.get_paginator("get_parameters_by_path").paginate(
        Path=prefix, Recursive=False, WithDecryption=True
    )
    for page in pages:
        for parameter in page["Parameters"]:
            name = parameter["Name"].removeprefix(prefix)
            if name not in environ:
                environ[name] = parameter["Value"]
                loaded.append(name)
    return sorted(loaded)
