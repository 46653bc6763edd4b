"""Run inside the fresh runtime-only venv by test_requirements.py; prints JSON.

Imports every module of the project's packages after ``django.setup()`` and posts
to the SNS webhook as SNS (or an attacker) would, through Django's test client
(part of Django itself, so no dev package is needed).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

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

    trusted_cert_url = sys.argv[1]
    client = Client(
        HTTP_HOST="engage.example.com",
        enforce_csrf_checks=True,
        raise_request_exception=False,
    )
    posts = {
        "malformed": "{not json",
        "untrusted_cert": notification("https://sns.evil.example.com/cert.pem"),
        "trusted_cert_unreachable": notification(trusted_cert_url),
    }
    statuses = {
        name: client.post(
            "/ses/events/", body, content_type="text/plain", headers=HEADERS
        ).status_code
        for name, body in posts.items()
    }
    print(json.dumps({"imported": imported, "failed": failed, "statuses": statuses}))


if __name__ == "__main__":
    main()
