"""Waiting on another process (a worker, a server) from a test."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_SECONDS = 45.0


def wait_for(
    condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS
) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
