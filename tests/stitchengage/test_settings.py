"""Settings refuse an insecure production configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="stitchengage.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('loaded')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"SECRET_KEY": "short"},
        {"SECRET_KEY": "django-insecure-" + "x" * 40},
        {"DEBUG": "false", "SECRET_KEY": ""},
    ],
    ids=["missing", "short", "django-insecure", "empty"],
)
def test_production_refuses_insecure_secret_key(env):
    """With DEBUG off, a missing, short or default SECRET_KEY stops the process."""
    result = load_settings(**env)
    assert result.returncode != 0
    assert "SECRET_KEY is missing or insecure" in result.stderr


def test_production_starts_with_a_real_secret_key():
    """A long random SECRET_KEY with DEBUG off loads."""
    result = load_settings(SECRET_KEY="k" * 20 + "Z9q" * 10)
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout


def test_debug_allows_the_development_key():
    """Local development (DEBUG on) runs without configuring a key."""
    result = load_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_zero_setup_defaults_are_sqlite_and_eager(tmp_path):
    """With nothing configured the project uses SQLite and eager Celery."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    }
    clean.update(DEBUG="true", DJANGO_SETTINGS_MODULE="stitchengage.settings")
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.split() == ["django.db.backends.sqlite3", "True"]


def _settings_values(names: list[str], unset=(), **env: str) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        f"print('|'.join(str(getattr(s, n, '-')) for n in {names!r}))"
    )
    drop = {"AWS_ENDPOINT_URL", *unset}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    clean.update(env, DJANGO_SETTINGS_MODULE="stitchengage.settings")
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return out.strip().split("|")


def test_aws_clients_take_their_endpoint_from_aws_endpoint_url():
    """S3 (django-storages) and SES (django-ses) use AWS_ENDPOINT_URL when set."""
    names = ["AWS_S3_ENDPOINT_URL", "AWS_SES_REGION_ENDPOINT_URL"]
    local = "http://127.0.0.1:5999"
    assert _settings_values(names, AWS_ENDPOINT_URL=local) == [local, local]
    # Unset: django-storages and django-ses use the real AWS endpoints.
    assert _settings_values(names) == ["None", "-"]


def test_https_settings_follow_debug():
    """Production gets HSTS, the https redirect and secure cookies; the demo none."""
    names = [
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    ]
    production = _settings_values(names, unset=["SECURE_SSL_REDIRECT"], DEBUG="false")
    assert production == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]
    demo = _settings_values(names, unset=["SECURE_SSL_REDIRECT"], DEBUG="true")
    assert demo == ["False", "0", "False", "False", "False", "False", "None"]
