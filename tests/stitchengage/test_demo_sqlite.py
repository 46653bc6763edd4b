"""`make demo`'s set-up (SQLite, eager Celery, seeded book) serves every admin screen.

The other tests prove behaviour on PostgreSQL; this one catches what only the
zero-setup demo would meet (a manager's user list once answered 500 there:
SQLite refuses ORDER BY in a UNION subquery).
"""

from __future__ import annotations

import json

import pytest

from tests.support.project_process import ROOT, python_run

pytestmark = pytest.mark.slow


def test_demo_on_sqlite_answers_every_admin_screen(tmp_path):
    env = {
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "EMAIL_FILE_PATH": str(tmp_path / "sent"),
        "PYTHONPATH": str(ROOT),  # the probe is a script in tests/
    }
    drop = {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    for args in (
        ("manage.py", "migrate", "--noinput"),
        ("manage.py", "demo_setup", "--clients", "300"),
        ("manage.py", "shell", "-c", _SUPERUSER),
    ):
        done = python_run(*args, drop=drop, timeout=600, **env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    probe = python_run(
        "tests/stitchengage/demo_probe.py", drop=drop, timeout=600, **env
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    assert report["urls"] > 40
    assert report["errors"] == {}
    assert report["statuses"]["manager /admin/dashboard/"] == 200
    assert report["statuses"]["stylist /admin/customers/client/"] == 200


_SUPERUSER = (
    "from django.contrib.auth import get_user_model; "
    "get_user_model().objects.create_superuser('root', 'root@example.com', 'x')"
)
