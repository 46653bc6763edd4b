"""requirements.txt alone runs production: a fresh virtualenv with nothing else.

The venv is built once per content of requirements.txt and kept under the temp
directory (``stitchengage-runtime-<hash>``), so a rerun takes seconds; the first
build takes about a minute. In it, with production settings (DEBUG off, a real
key, PostgreSQL, the SQS broker URL), the test runs ``check --deploy``,
``migrate``, imports every module and posts to the SNS webhook.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "stitchengage_runtime_venv"
# Packages only the tests and tools use: none may be in the runtime venv.
DEV_ONLY = (
    "pytest",
    "moto",
    "playwright",
    "ruff",
    "factory_boy",
    "hypothesis",
    "zappa",
)

pytestmark = pytest.mark.slow


def runtime_venv() -> Path:
    """Return a venv holding requirements.txt only, building it when missing."""
    requirements = ROOT / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"stitchengage-runtime-{digest}"
    if (venv / ".installed").exists():
        return venv
    building = Path(tempfile.mkdtemp(prefix=f"{venv.name}-building-"))
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(building)], check=True)
    subprocess.run(
        [
            building / "bin" / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            requirements,
        ],
        check=True,
        timeout=900,
    )
    (building / ".installed").touch()
    # venvs hard-code their path in scripts; only bin/python is used here, and
    # it finds its site-packages relative to itself, so a rename is safe.
    shutil.rmtree(venv, ignore_errors=True)
    building.rename(venv)
    return venv


@pytest.fixture(scope="module")
def production(postgresql_proc) -> dict:
    """Return the venv's python and a production environment on a fresh database."""
    venv = runtime_venv()
    conninfo = {
        "host": postgresql_proc.host,
        "port": postgresql_proc.port,
        "user": postgresql_proc.user,
        "password": postgresql_proc.password or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),  # the probe is a script in tests/
        "DJANGO_SETTINGS_MODULE": "stitchengage.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "engage.example.com",
        "SITE_URL": "https://engage.example.com",
        "DATABASE_URL": (
            f"postgres://{postgresql_proc.user}@{postgresql_proc.host}:"
            f"{postgresql_proc.port}/{DATABASE}"
        ),
        "CELERY_BROKER_URL": "sqs://",
        "AWS_ACCOUNT_ID": "123456789012",  # the SQS queue URLs are built from it
        "EMAIL_BACKEND": "django_ses.SESBackend",
        "AWS_STORAGE_BUCKET_NAME": "stitchengage-static",
        "AWS_REGION": "us-east-1",
        "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS": (
            "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events"
        ),
        "AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS": "sns.us-east-1.amazonaws.com",
    }
    yield {"python": str(venv / "bin" / "python"), "env": env}
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _run(production: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [production["python"], *args],
        cwd=ROOT,
        env=production["env"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_runtime_venv_has_no_dev_packages(production):
    """The venv under test is requirements.txt only: no test or deploy tools."""
    result = _run(production, "-m", "pip", "list", "--format=json")
    installed = {p["name"].lower().replace("-", "_") for p in json.loads(result.stdout)}
    assert not installed & set(DEV_ONLY)
    assert "django" in installed


def test_check_deploy_is_clean(production):
    """`check --deploy --fail-level WARNING` passes with production settings."""
    result = _run(
        production, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _signed_messages(tmp_path: Path) -> Path:
    """Write a test certificate and SNS-signed bounces (v1, v2, tampered) to a file.

    Signed here, with the dev set's test helpers; the probe in the runtime venv
    only has to hand the certificate to the verifier's one download seam.
    """
    from tests.support.sns import CERT_URL, SNS_CERT_PEM, notification, ses_bounce

    v1 = notification(ses_bounce("gone-v1@example.com"), version="1")
    v2 = notification(
        ses_bounce("gone-v2@example.com"),
        version="2",
        subject="Amazon SES Email Event Notification",
        message_id="sns-message-2",
    )
    tampered = {**v2, "Message": v2["Message"].replace("gone-v2", "someone-else")}
    path = tmp_path / "signed.json"
    path.write_text(
        json.dumps(
            {
                "cert_url": CERT_URL,
                "cert_pem": SNS_CERT_PEM.decode(),
                "messages": {"signed_v1": v1, "signed_v2": v2, "tampered": tampered},
            }
        )
    )
    return path


def test_migrate_and_every_module_import_and_the_webhook_answers(production, tmp_path):
    """Migrations run, every app module imports, the SNS webhook verifies.

    Signed bounces (SignatureVersion 1 and 2) answer 200 and suppress their
    address; a tampered one, a malformed body and an untrusted certificate URL
    answer 400; an unreachable certificate host 503 (SNS retries). None 500.
    """
    migrate = _run(production, "manage.py", "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    probe = _run(
        production,
        "tests/stitchengage/runtime_probe.py",
        str(_signed_messages(tmp_path)),
    )
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}
    assert {"emails.services.sending", "scoring.services.nightly"} <= set(
        report["imported"]
    )
    assert report["statuses"] == {
        "malformed": 400,
        "untrusted_cert": 400,
        "cert_host_unreachable": 503,
        "signed_v1": 200,
        "signed_v2": 200,
        "tampered": 400,
    }, probe.stderr[-3000:]
    assert report["suppressed"] == ["gone-v1@example.com", "gone-v2@example.com"]
