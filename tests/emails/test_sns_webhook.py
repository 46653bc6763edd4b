"""SES bounce and complaint events posted by SNS to /ses/events/.

django-ses's ``SESEventWebhookView`` verifies each message's signature with the
certificate named by ``SigningCertURL``. AWS is unreachable here, so the tests
make their own RSA key and self-signed certificate with ``cryptography``, sign the
messages as SNS does (SignatureVersion 1: SHA1 with RSA over the canonical
string), and patch only the certificate download (``requests.get``, which
django-ses calls to fetch the PEM) to return that certificate for the one
trusted URL. Everything else, from the trusted-domain check to the signals and
receivers, runs for real.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.urls import reverse
from django_ses import utils as ses_utils

from emails.models import EmailStatus, ReengagementEmail, Suppression
from tests.customers.factories import ClientFactory

pytestmark = pytest.mark.django_db

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events"
SIGNED_FIELDS = {
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


def _key_and_cert() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


SNS_KEY, SNS_CERT_PEM = _key_and_cert()
OTHER_KEY, _ = _key_and_cert()


def _sign(notification: dict, key: rsa.RSAPrivateKey) -> dict:
    """Add SNS's signature: each present field as 'Name\\nvalue\\n', in order."""
    canonical = "".join(
        f"{field}\n{notification[field]}\n"
        for field in SIGNED_FIELDS[notification["Type"]]
        if notification.get(field)
    ).encode()
    signature = key.sign(canonical, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    return {
        **notification,
        "SignatureVersion": "1",
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": CERT_URL,
    }


def _notification(message: dict, *, key=SNS_KEY) -> dict:
    return _sign(
        {
            "Type": "Notification",
            "MessageId": "sns-message-1",
            "TopicArn": TOPIC,
            "Message": json.dumps(message),
            "Timestamp": "2026-11-23T10:00:00.000Z",
        },
        key,
    )


def _bounce(address: str, bounce_type: str = "Permanent") -> dict:
    return {
        "notificationType": "Bounce",
        "mail": {"messageId": "0100-ses-id", "destination": [address]},
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address}],
            "feedbackId": "feedback-1",
        },
    }


def _complaint(address: str) -> dict:
    return {
        "notificationType": "Complaint",
        "mail": {"messageId": "0100-ses-id", "destination": [address]},
        "complaint": {
            "complainedRecipients": [{"emailAddress": address}],
            "complaintFeedbackType": "abuse",
            "feedbackId": "feedback-2",
        },
    }


class _PemResponse:
    content = SNS_CERT_PEM

    def raise_for_status(self) -> None:
        return None


@pytest.fixture
def cert_download(settings):
    """Trust the test cert URL's host and serve the test certificate for it."""
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = ["sns.us-east-1.amazonaws.com"]
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    ses_utils.clear_cert_cache()

    def fake_get(url, timeout):
        assert url == CERT_URL, f"unexpected certificate download: {url}"
        return _PemResponse()

    with mock.patch("requests.get", side_effect=fake_get) as download:
        yield download
    ses_utils.clear_cert_cache()


def _post(client, notification: dict):
    return client.post(
        reverse("emails:ses_events"),
        data=json.dumps(notification),
        content_type="text/plain; charset=UTF-8",
    )


def test_signed_hard_bounce_suppresses_address_and_open_email(client, cert_download):
    """A verified Permanent bounce adds the address and suppresses the open email."""
    customer = ClientFactory(email="gone@example.com")
    email = ReengagementEmail.objects.create(
        client=customer, idempotency_key="b:1", status=EmailStatus.APPROVED
    )
    response = _post(client, _notification(_bounce("GONE@example.com")))
    assert response.status_code == 200
    cert_download.assert_called_once()
    (suppression,) = Suppression.objects.all()
    assert suppression.email == "GONE@example.com"
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE
    email.refresh_from_db()
    assert email.status == EmailStatus.SUPPRESSED


def test_bad_signature_is_refused_and_writes_nothing(client, cert_download):
    """A bounce signed with another key gets a 400; no suppression is written."""
    response = _post(client, _notification(_bounce("a@example.com"), key=OTHER_KEY))
    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_message_altered_after_signing_is_refused(client, cert_download):
    """Changing the signed Message (another address) breaks the signature."""
    notification = _notification(_bounce("a@example.com"))
    notification["Message"] = json.dumps(_bounce("victim@example.com"))
    assert _post(client, notification).status_code == 400
    assert not Suppression.objects.exists()


def test_certificate_from_untrusted_domain_is_refused(client, cert_download):
    """A message pointing at a certificate outside the trusted domains is refused."""
    notification = _notification(_bounce("a@example.com"))
    notification["SigningCertURL"] = "https://evil.example.com/cert.pem"
    assert _post(client, notification).status_code == 400
    cert_download.assert_not_called()
    assert not Suppression.objects.exists()


def test_untrusted_topic_is_refused(client, cert_download, settings):
    """A validly signed message from a topic we do not use is refused."""
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = ["arn:aws:sns:us-east-1:1:other"]
    assert _post(client, _notification(_bounce("a@example.com"))).status_code == 400
    assert not Suppression.objects.exists()


def test_complaint_suppresses_address(client, cert_download):
    """A spam complaint puts the address on the suppression list."""
    assert _post(client, _notification(_complaint("c@example.com"))).status_code == 200
    (suppression,) = Suppression.objects.all()
    assert suppression.reason == Suppression.Reason.COMPLAINT


def test_transient_bounce_is_not_suppressed(client, cert_download):
    """A soft bounce (mailbox full) is accepted but suppresses nothing."""
    response = _post(client, _notification(_bounce("full@example.com", "Transient")))
    assert response.status_code == 200
    assert not Suppression.objects.exists()


def test_repeated_bounce_keeps_one_suppression_row(client, cert_download):
    """SNS redelivery or a second bounce in another case adds no duplicate."""
    Suppression.objects.create(email="dup@example.com", reason="unsubscribe")
    for address in ("dup@example.com", "DUP@EXAMPLE.COM"):
        assert _post(client, _notification(_bounce(address))).status_code == 200
    assert Suppression.objects.count() == 1


def test_subscription_confirmation_fetches_subscribe_url(client, cert_download):
    """django-ses confirms a signed subscription by opening its SubscribeURL.

    Only that outbound call (``django_ses.utils.urlopen``) is mocked.
    """
    subscribe_url = (
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        "&TopicArn=" + TOPIC + "&Token=abc"
    )
    notification = _sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "sns-sub-1",
            "Token": "abc",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe to the topic.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2026-11-23T10:00:00.000Z",
        },
        SNS_KEY,
    )
    with mock.patch.object(ses_utils, "urlopen") as urlopen:
        assert _post(client, notification).status_code == 200
    urlopen.assert_called_once_with(subscribe_url)


def test_unsigned_subscription_confirmation_is_not_confirmed(client, cert_download):
    """Without a valid signature nobody can make us confirm a subscription."""
    notification = {
        "Type": "SubscriptionConfirmation",
        "TopicArn": TOPIC,
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Confirm",
    }
    with mock.patch.object(ses_utils, "urlopen") as urlopen:
        assert _post(client, notification).status_code == 400
    urlopen.assert_not_called()
