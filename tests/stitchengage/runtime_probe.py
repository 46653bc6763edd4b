"""Run inside the fresh runtime-only venv by test_requirements.py; prints JSON.

Imports every module of the project's packages after ``django.setup()`` and posts
to the SNS webhook as SNS (or an attacker) would, through Django's test client
(part of Django itself, so no dev package is needed). The signed messages and
their certificate come from a file the test wrote; the certificate reaches the
verifier through its one download seam, as if from SNS's host.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import django

PACKAGES = ("stitchengage", "customers", "scoring", "emails")
HEADERS = {"X-Forwarded-Proto": "https", "X-Amz-Sns-Message-Type": "Notification"}


def notification(cert_url: str) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events",
            "Subject": "Amazon SES Email Event Notification",
            "Message": json.dumps({"eventType": "Bounce", "bounce": {}}),
            "Timestamp": "2026-12-01T12:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "bm90IGEgcmVhbCBzaWduYXR1cmU=",
            "SigningCertURL": cert_url,
        }
    )


def main() -> None:
    django.setup()
    from django.test import Client

    imported, failed = [], {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        imported.append(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            try:
                importlib.import_module(module.name)
                imported.append(module.name)
            except Exception as error:  # reported to the test, not raised
                failed[module.name] = f"{type(error).__name__}: {error}"

    signed = json.loads(Path(sys.argv[1]).read_text())
    client = Client(
        HTTP_HOST="engage.example.com",
        enforce_csrf_checks=True,
        raise_request_exception=False,
    )

    def post(body: str) -> int:
        return client.post(
            "/ses/events/", body, content_type="text/plain", headers=HEADERS
        ).status_code

    statuses = {
        "malformed": post("{not json"),
        "untrusted_cert": post(notification("https://sns.evil.example.com/cert.pem")),
        # No network here: the real download fails, which SNS should retry.
        "cert_host_unreachable": post(notification(signed["cert_url"])),
    }
    from emails.models import Suppression
    from emails.services import sns_verify

    real_download = sns_verify.sns_certificate_download

    def download(*, url: str) -> bytes:
        if url == signed["cert_url"]:
            return signed["cert_pem"].encode()
        return real_download(url=url)

    sns_verify.sns_certificate_download = download
    sns_verify.sns_certificate_cache_clear()
    for name, message in signed["messages"].items():
        statuses[name] = post(json.dumps(message))
    suppressed = sorted(Suppression.objects.values_list("email", flat=True))
    print(
        json.dumps(
            {
                "imported": imported,
                "failed": failed,
                "statuses": statuses,
                "suppressed": suppressed,
            }
        )
    )


if __name__ == "__main__":
    main()
