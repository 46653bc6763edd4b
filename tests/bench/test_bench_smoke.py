"""The benchmarks still run: each generates a tiny book with COPY and times it.

The generators write rows with COPY and raw INSERTs, so a new NOT NULL column
without a database default breaks them silently until someone next runs a
benchmark (a new client field did exactly that). Tiny sizes: seconds each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "args",
    [
        ("bench/bench_scoring.py", "--clients", "2000", "--runs", "1"),
        ("bench/bench_prune.py", "--clients", "2000"),
        ("bench/bench_nightly.py", "--clients", "2000", "--runs", "2"),
    ],
    ids=["scoring", "prune", "nightly"],
)
def test_benchmark_runs_on_a_tiny_book(args):
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
