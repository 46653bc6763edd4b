"""AWS code paths against moto's server mode on 127.0.0.1.

``aws`` starts one moto server per test session, points every AWS client at it
through ``AWS_ENDPOINT_URL`` and test credentials, and resets it before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.moto_server import (
    CREDENTIALS,
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
