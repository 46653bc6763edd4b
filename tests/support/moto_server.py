"""moto's AWS server on 127.0.0.1, in its own process, for the real AWS clients.

Tests talk to it with boto3, kombu's SQS transport, django-ses and django-storages
exactly as production talks to AWS; only the endpoint differs (``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import requests

READY_TIMEOUT_SECONDS = 30.0
REGION = "us-east-1"
#: The account moto puts every resource in.
MOTO_ACCOUNT_ID = "123456789012"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass(frozen=True)
class MotoServer:
    endpoint_url: str
    process: subprocess.Popen

    def reset(self) -> None:
        """Forget every resource (queues, buckets, sent mail) between tests."""
        requests.post(
            f"{self.endpoint_url}/moto-api/reset", timeout=10
        ).raise_for_status()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def moto_server_start() -> MotoServer:
    """Start ``moto_server`` on a free loopback port and wait until it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **CREDENTIALS},
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1)
            return MotoServer(endpoint_url=endpoint, process=process)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not answer in time") from None
            time.sleep(0.1)


def moto_server_stop(server: MotoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
