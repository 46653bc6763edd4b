"""The admin's address is a setting (ADMIN_URL_PATH), the dashboard under it."""

from __future__ import annotations

import json
import os

from tests.support.project_process import django_run

PROBE = """
import json
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
    result = django_run(
        PROBE,
        drop=[k for k in os.environ if k.startswith("PYTEST")],
        DEBUG="true",
        ADMIN_URL_PATH="/backoffice",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode == 0, result.stderr
    urls = json.loads(result.stdout.strip().splitlines()[-1])
    assert urls == {
        "index": "/backoffice/",
        "dashboard": "/backoffice/dashboard/",
        "login": "/backoffice/login/?next=/backoffice/",
        "old": 404,
    }
