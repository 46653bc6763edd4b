"""Run the project in a fresh Python process: settings, manage.py, scripts.

Settings are read once per process, so a test of what an environment variable
does at start-up needs a process of its own. These run from the project root
with this process's environment, minus ``drop`` and plus ``env``, and never
raise on a non-zero exit: the test asserts on ``returncode`` with the output as
its message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "stitchengage.settings"


def python_run(
    *args: str | os.PathLike,
    drop: Iterable[str] = (),
    timeout: float = 60,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``python *args`` in the project root and return what it did."""
    dropped = set(drop)
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update({"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, **env})
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def django_run(
    code: str, *, drop: Iterable[str] = (), timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """Set Django up in a fresh process (its settings read from ``env``), then run
    ``code`` there: ``from django.conf import settings as s`` is already done."""
    setup = "import django; django.setup(); from django.conf import settings as s\n"
    return python_run("-c", setup + code, drop=drop, timeout=timeout, **env)
