"""Settings refuse an insecure production configuration."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.project_process import django_run


def load_settings(**env: str) -> subprocess.CompletedProcess:
    return django_run("print('loaded')", drop={"SECRET_KEY", "DEBUG"}, **env)


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
    result = django_run(
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)",
        drop={"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"},
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.split() == ["django.db.backends.sqlite3", "True"]


def _settings_values(names: list[str], unset=(), **env: str) -> list[str]:
    result = django_run(
        f"print('|'.join(str(getattr(s, n, '-')) for n in {names!r}))",
        drop={"AWS_ENDPOINT_URL", *unset},
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


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
