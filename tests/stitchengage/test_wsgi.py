"""The WSGI entry point leaves what start-up loaded out of the garbage collector."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_start_up_objects_are_frozen():
    """After importing the WSGI module, start-up's objects are in gc's frozen set."""
    probe = (
        "import gc, stitchengage.wsgi; "
        "print(gc.get_freeze_count(), len(gc.get_objects(generation=2)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, oldest = map(int, done.stdout.split()[-2:])
    assert frozen > 50_000
    assert oldest < frozen / 10
