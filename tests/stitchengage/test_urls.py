"""The admin's address is a setting (ADMIN_URL_PATH), the dashboard under it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import django, json
django.setup()
from django.test import Client
from django.urls import reverse
print(json.dumps({
    "index": reverse("admin:index"),
    "dashboard": reverse("dashboard:index"),
    "login": Client().get("/backoffice/").headers.get("Location"),
    "old": Client().get("/admin/").status_code,
}))
"""


def test_the_admin_moves_with_admin_url_path():
    """ADMIN_URL_PATH=backoffice puts the admin and dashboard at /backoffice/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="stitchengage.settings",
        DEBUG="true",
        ADMIN_URL_PATH="/backoffice",
        DATABASE_URL="sqlite:///:memory:",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    urls = json.loads(result.stdout.strip().splitlines()[-1])
    assert urls == {
        "index": "/backoffice/",
        "dashboard": "/backoffice/dashboard/",
        "login": "/backoffice/login/?next=/backoffice/",
        "old": 404,
    }
