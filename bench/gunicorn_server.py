"""Start gunicorn for a benchmark: ``stitchengage.wsgi`` on 127.0.0.1, ready to use.

One copy for the benches that put the project behind a real server
(``bench_api.py``, ``bench_load.py``): the command line and the wait until a page
answers.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def gunicorn_start(
    *,
    port: int,
    workers: int,
    env: dict[str, str],
    ready_path: str,
    options: Sequence[str] = (),
) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:port; return once ``ready_path`` answers 200.

    ``options`` are further gunicorn command-line options (threads, worker
    class, access log). Raise ``RuntimeError`` if gunicorn exits or does not
    answer within 60 s (it is stopped then).
    """
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "stitchengage.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            *options,
        ],
        cwd=REPO,
        env=env,
    )
    url = f"http://127.0.0.1:{port}{ready_path}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    process.wait(timeout=30)
    raise RuntimeError("gunicorn did not answer in 60 s")
