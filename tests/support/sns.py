"""Sign SNS messages as AWS does, with a key and certificate made for the test.

AWS is unreachable from the tests, so a session-wide RSA key and self-signed
X.509 certificate stand in for SNS's. The ``sns`` fixture trusts the test topic
and serves that certificate by patching only the function that downloads the
certificate bytes (``sns_verify.sns_certificate_download``); the URL checks,
parsing, caching, validity check and signature verification all run for real.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.urls import reverse

from emails.services import sns_verify

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events"
OTHER_TRUSTED_TOPIC = "arn:aws:sns:us-east-1:123456789012:stitchengage-other"
SUBSCRIBE_URL = (
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
    f"&TopicArn={TOPIC}&Token=abc"
)
# AWS's documented order of the signed keys, written out independently of the
# code under test.
SIGNED_KEYS = {
    "Notification": (
        "Message",
        "MessageId",
        "Subject",
        "Timestamp",
        "TopicArn",
        "Type",
    ),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED_KEYS["UnsubscribeConfirmation"] = SIGNED_KEYS["SubscriptionConfirmation"]
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


def key_and_cert(
    *, not_before_days: int = -1, not_after_days: int = 1
) -> tuple[rsa.RSAPrivateKey, bytes]:
    """Return a new RSA key and a self-signed PEM certificate for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=not_before_days))
        .not_valid_after(now + dt.timedelta(days=not_after_days))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


SNS_KEY, SNS_CERT_PEM = key_and_cert()
OTHER_KEY, _ = key_and_cert()


def sns_sign(
    envelope: dict,
    *,
    version: str = "1",
    key: rsa.RSAPrivateKey = SNS_KEY,
    cert_url: str = CERT_URL,
) -> dict:
    """Return ``envelope`` with SNS's signature fields: each signed key present
    as "Key\\nValue\\n" in AWS's order, RSA PKCS#1 v1.5 with SHA1 (v1) or SHA256.
    """
    canonical = "".join(
        f"{name}\n{envelope[name]}\n"
        for name in SIGNED_KEYS[envelope["Type"]]
        if name in envelope
    ).encode()
    signature = key.sign(canonical, padding.PKCS1v15(), HASHES[version]())
    return {
        **envelope,
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": cert_url,
    }


def notification(
    message: dict | str,
    *,
    version: str = "1",
    subject: str | None = None,
    topic: str = TOPIC,
    key: rsa.RSAPrivateKey = SNS_KEY,
    message_id: str = "sns-message-1",
) -> dict:
    """Return a signed Notification carrying ``message`` (JSON-encoded if a dict)."""
    envelope = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2026-11-23T10:00:00.000Z",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    if subject is not None:
        envelope["Subject"] = subject
    return sns_sign(envelope, version=version, key=key)


def subscription(
    *,
    version: str = "1",
    topic: str = TOPIC,
    subscribe_url: str = SUBSCRIBE_URL,
    message_type: str = "SubscriptionConfirmation",
) -> dict:
    """Return a signed SubscriptionConfirmation (or UnsubscribeConfirmation)."""
    return sns_sign(
        {
            "Type": message_type,
            "MessageId": "sns-sub-1",
            "Token": "abc",
            "TopicArn": topic,
            "Message": f"You have chosen to subscribe to the topic {topic}.\n"
            "To confirm the subscription, visit the SubscribeURL included in "
            "this message.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2026-11-23T10:00:00.000Z",
        },
        version=version,
    )


def ses_bounce(
    address: str, bounce_type: str = "Permanent", *, field: str = "notificationType"
) -> dict:
    """Return an SES bounce; ``field`` "eventType" is the event-publishing form."""
    return {
        field: "Bounce",
        "mail": {"messageId": "0100-ses-id", "destination": [address]},
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address}],
            "feedbackId": "feedback-1",
        },
    }


def ses_complaint(address: str, *, field: str = "notificationType") -> dict:
    """Return an SES complaint; ``field`` "eventType" is the event-publishing form."""
    return {
        field: "Complaint",
        "mail": {"messageId": "0100-ses-id", "destination": [address]},
        "complaint": {
            "complainedRecipients": [{"emailAddress": address}],
            "complaintFeedbackType": "abuse",
            "feedbackId": "feedback-2",
        },
    }


@pytest.fixture
def sns(settings) -> Iterator[mock.MagicMock]:
    """Trust the test topics and certificate host; serve the test certificate.

    Yields the patched download function, to count calls.
    """
    settings.DEBUG = False
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = ["sns.us-east-1.amazonaws.com"]
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC, OTHER_TRUSTED_TOPIC]
    sns_verify.sns_certificate_cache_clear()
    certificates = {CERT_URL: SNS_CERT_PEM}

    def download(*, url: str) -> bytes:
        assert url in certificates, f"unexpected certificate download: {url}"
        return certificates[url]

    with mock.patch.object(
        sns_verify, "sns_certificate_download", side_effect=download
    ) as patched:
        patched.certificates = certificates
        yield patched
    sns_verify.sns_certificate_cache_clear()


def ses_events_post(client, body: bytes | str | dict):
    """POST ``body`` to /ses/events/ as SNS does (JSON in a text/plain body)."""
    return client.post(
        reverse("emails:ses_events"),
        data=body if isinstance(body, bytes | str) else json.dumps(body),
        content_type="text/plain; charset=UTF-8",
    )
