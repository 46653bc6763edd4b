"""The test servers start only for the tests that need them (``tests/conftest.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.project_process import python_run

MISSING = "/nonexistent/bin"


def _pytest(node: str, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    """Run one test in a fresh pytest where no Redis server can start."""
    return python_run(
        "-m",
        "pytest",
        node,
        f"--redis-exec={MISSING}/redis-server",
        *options,
        "-p",
        "no:cacheprovider",
        f"--basetemp={tmp_path}",
        "-q",
        timeout=600,
    )


@pytest.mark.slow
def test_a_pure_test_starts_no_server(tmp_path):
    """A numpy-only test passes where neither Redis nor PostgreSQL could start."""
    result = _pytest(
        "tests/scoring/test_bgnbd.py::test_log_likelihood_matches_direct_formula",
        tmp_path,
        f"--postgresql-exec={MISSING}/pg_ctl",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.slow
def test_a_database_test_gets_the_broker(tmp_path):
    """A test that saves rows (and so may publish on commit) needs Redis started."""
    result = _pytest(
        "tests/emails/test_eligibility.py::test_same_snapshot_twice_makes_one_email",
        tmp_path,
    )
    assert result.returncode != 0
    assert MISSING in result.stdout + result.stderr
