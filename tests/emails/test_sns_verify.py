"""SNS signature verification at /ses/events/ (emails.services.sns_verify).

Messages are signed in the test with a generated RSA key (tests/support/sns.py);
only the certificate download is patched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from unittest import mock

import pytest
import requests
from django.urls import reverse

from emails.models import Suppression
from emails.services import sns_verify
from emails.services.sns_verify import (
    SnsMessage,
    SnsMessageRefused,
    SnsUnavailable,
    sns_cert_url_trusted,
    sns_string_to_sign,
    sns_subscribe_url_trusted,
)
from tests.support.sns import (
    CERT_URL,
    OTHER_KEY,
    OTHER_TRUSTED_TOPIC,
    SUBSCRIBE_URL,
    TOPIC,
    key_and_cert,
    notification,
    ses_bounce,
    ses_events_post,
    subscription,
)

pytestmark = pytest.mark.django_db


# --- The canonical string -----------------------------------------------------------


def test_string_to_sign_of_a_notification_with_subject():
    """Notification keys in AWS's order, each "Key\\nValue\\n", Subject included."""
    message = SnsMessage(
        type="Notification",
        message_id="id-1",
        topic_arn=TOPIC,
        message="line one\nline two",
        timestamp="2026-11-23T10:00:00.000Z",
        subject="Hi",
    )
    assert sns_string_to_sign(message=message) == (
        b"Message\nline one\nline two\nMessageId\nid-1\nSubject\nHi\n"
        b"Timestamp\n2026-11-23T10:00:00.000Z\nTopicArn\n" + TOPIC.encode() + b"\n"
        b"Type\nNotification\n"
    )


def test_string_to_sign_of_a_notification_without_subject():
    """Without a Subject the key is left out entirely, not signed as empty."""
    message = SnsMessage(
        type="Notification",
        message_id="id-1",
        topic_arn=TOPIC,
        message="m",
        timestamp="t",
    )
    assert sns_string_to_sign(message=message) == (
        b"Message\nm\nMessageId\nid-1\nTimestamp\nt\nTopicArn\n"
        + TOPIC.encode()
        + b"\nType\nNotification\n"
    )


@pytest.mark.parametrize(
    "message_type", ["SubscriptionConfirmation", "UnsubscribeConfirmation"]
)
def test_string_to_sign_of_a_confirmation(message_type):
    """Confirmations sign SubscribeURL and Token too, in AWS's order."""
    message = SnsMessage(
        type=message_type,
        message_id="id-1",
        topic_arn=TOPIC,
        message="m",
        timestamp="t",
        subscribe_url="https://u",
        token="tok",
    )
    assert sns_string_to_sign(message=message) == (
        b"Message\nm\nMessageId\nid-1\nSubscribeURL\nhttps://u\nTimestamp\nt\n"
        b"Token\ntok\nTopicArn\n"
        + TOPIC.encode()
        + b"\nType\n"
        + message_type.encode()
        + b"\n"
    )


# --- Signed messages accepted, tampered copies refused ------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("subject", [None, "Amazon SES Email Event Notification"])
def test_signed_notification_is_accepted(client, sns, version, subject):
    """A Notification signed with SHA1 (v1) or SHA256 (v2) is handled."""
    body = notification(ses_bounce("a@example.com"), version=version, subject=subject)
    assert ses_events_post(client, body).status_code == 200
    assert Suppression.objects.filter(email="a@example.com").exists()


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_subscription_confirmation_is_accepted(client, sns, confirm, version):
    """A SubscriptionConfirmation signed v1 or v2 is confirmed."""
    assert ses_events_post(client, subscription(version=version)).status_code == 200
    confirm.assert_called_once_with(url=SUBSCRIBE_URL)


def _tamper_message(body):
    body["Message"] = json.dumps(ses_bounce("victim@example.com"))


def _tamper_subject(body):
    body["Subject"] = "Changed"


def _remove_subject(body):
    del body["Subject"]


def _tamper_topic(body):
    # Another trusted topic, so only the signature can catch it.
    body["TopicArn"] = OTHER_TRUSTED_TOPIC


def _swap_version(body):
    body["SignatureVersion"] = {"1": "2", "2": "1"}[body["SignatureVersion"]]


def _tamper_message_id(body):
    body["MessageId"] = "sns-message-2"


def _tamper_timestamp(body):
    body["Timestamp"] = "2026-11-24T10:00:00.000Z"


def _tamper_type(body):
    body["Type"] = "UnsubscribeConfirmation"
    body.update(SubscribeURL=SUBSCRIBE_URL, Token="abc")


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_message,
        _tamper_subject,
        _remove_subject,
        _tamper_topic,
        _swap_version,
        _tamper_message_id,
        _tamper_timestamp,
        _tamper_type,
    ],
    ids=lambda f: f.__name__.lstrip("_"),
)
def test_tampered_copy_is_refused(client, sns, version, tamper):
    """Any change to a signed field (or to the version) fails verification."""
    body = notification(ses_bounce("a@example.com"), version=version, subject="S")
    tamper(body)
    assert ses_events_post(client, body).status_code == 400
    assert not Suppression.objects.exists()


def test_adding_a_subject_is_refused(client, sns):
    """A Subject added to a message signed without one breaks the signature."""
    body = notification(ses_bounce("a@example.com"), version="2")
    body["Subject"] = "Added"
    assert ses_events_post(client, body).status_code == 400


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_by_another_key_is_refused(client, sns, version):
    """A message signed with a key other than the certificate's is refused."""
    body = notification(ses_bounce("a@example.com"), version=version, key=OTHER_KEY)
    assert ses_events_post(client, body).status_code == 400
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("version", ["3", "0", "", " 1", "1.0", 1, 2, None])
def test_unsupported_signature_version_is_refused(client, sns, version):
    """Only the strings "1" and "2" are signature versions; nothing is fetched."""
    body = notification(ses_bounce("a@example.com"))
    body["SignatureVersion"] = version
    assert ses_events_post(client, body).status_code == 400
    sns.assert_not_called()


# --- Malformed bodies ---------------------------------------------------------------


def _signed(**changes) -> str:
    body = notification(ses_bounce("a@example.com"))
    body.update(changes)
    return json.dumps(body)


MALFORMED = {
    # The nine bodies that made django-ses answer 500.
    "list": "[1,2,3]",
    "string": '"hello"',
    "number": "42",
    "null": "null",
    "signature-only": '{"Signature":"abc"}',
    "signature-not-base64-only": '{"Signature":"@@@not-base64"}',
    "signature-number-only": '{"Signature":12345}',
    "cert-url-object": _signed(SigningCertURL={"url": CERT_URL}),
    "deep-nesting": "[" * 100_000,
    # The same defects in an otherwise valid signed envelope, and others.
    "signature-bad-padding": _signed(Signature="abc"),
    "signature-not-base64": _signed(Signature="@@@not-base64"),
    "signature-number": _signed(Signature=12345),
    "signature-empty": _signed(Signature=""),
    "signature-huge": _signed(Signature="A" * 4096),
    "cert-url-list": _signed(SigningCertURL=[CERT_URL]),
    "message-object": _signed(Message={"notificationType": "Bounce"}),
    "message-missing": json.dumps(
        {k: v for k, v in notification({}).items() if k != "Message"}
    ),
    "message-id-number": _signed(MessageId=7),
    "topic-list": _signed(TopicArn=[TOPIC]),
    "subject-number": _signed(Subject=5),
    "timestamp-missing": _signed(Timestamp=None),
    "type-unknown": _signed(Type="Surprise"),
    "type-missing": _signed(Type=None),
    "deep-nesting-object": '{"a":' * 50_000,
    "empty": "",
    "not-json": "Type=Notification",
    "nan-only": "NaN",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_body_answers_400(client, sns, body):
    """Bad JSON, wrong types, missing fields or an unknown Type: 400, never 500."""
    assert ses_events_post(client, body).status_code == 400
    assert not Suppression.objects.exists()


def test_body_not_utf8_answers_400(client, sns):
    """Bytes that are not UTF-8 are refused."""
    response = client.post(
        reverse("emails:ses_events"),
        data=b'{"Type":"\xff"}',
        content_type="application/octet-stream",
    )
    assert response.status_code == 400


def test_oversized_body_answers_413(client, sns):
    """A body over 256 KB is refused before it is parsed."""
    body = notification("x" * (256 * 1024 + 1))
    assert ses_events_post(client, body).status_code == 413
    sns.assert_not_called()


def test_get_is_not_allowed(client, sns):
    """Only POST is accepted."""
    assert client.get(reverse("emails:ses_events")).status_code == 405


# --- Topics ------------------------------------------------------------------------


def test_untrusted_topic_is_refused_before_any_download(client, sns):
    """A validly signed message from a topic we do not use is refused, unfetched."""
    body = notification(ses_bounce("a@example.com"), topic=TOPIC + "-not-ours")
    assert ses_events_post(client, body).status_code == 400
    sns.assert_not_called()
    assert not Suppression.objects.exists()


def test_empty_trusted_topic_list_refuses_everything(client, sns, settings):
    """No trusted topic configured means no topic is trusted (fail closed)."""
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = []
    assert (
        ses_events_post(client, notification(ses_bounce("a@example.com"))).status_code
        == 400
    )
    assert not Suppression.objects.exists()


# --- Certificate URL ---------------------------------------------------------------


ACCEPTED_CERT_URLS = [
    CERT_URL,
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
    "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
]
REFUSED_CERT_URLS = {
    "http": "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
    "scheme-case": "HTTPS://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
    "other-host": "https://evil.example.com/SimpleNotificationService-a.pem",
    "lookalike-suffix": (
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-a.pem"
    ),
    "lookalike-prefix": (
        "https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"
    ),
    "subdomain": (
        "https://x.sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"
    ),
    "s3-host": "https://s3.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
    "cn-suffix-on-us-region": (
        "https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-a.pem"
    ),
    "userinfo": (
        "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-a.pem"
    ),
    "userinfo-before-sns": (
        "https://evil.com@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem"
    ),
    "port": "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-a.pem",
    "port-443": "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-a.pem",
    "empty-port": "https://sns.us-east-1.amazonaws.com:/SimpleNotificationService-a.pem",
    "trailing-dot": "https://sns.us-east-1.amazonaws.com./SimpleNotificationService-a.pem",
    "not-pem": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.crt",
    "other-file": "https://sns.us-east-1.amazonaws.com/evil.pem",
    "subdirectory": "https://sns.us-east-1.amazonaws.com/x/SimpleNotificationService-a.pem",
    "query": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem?x=1",
    "empty-query": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem?",
    "fragment": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem#x",
    "newline": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem\n",
    "tab-in-host": "https://sns.us-east-1.amazon\taws.com/SimpleNotificationService-a.pem",
    "backslash": "https://evil.com\\@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
    "unicode-dot": "https://sns.us-east-1\u3002amazonaws.com/SimpleNotificationService-a.pem",
    "bad-ipv6": "https://[sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
    "empty": "",
}


@pytest.mark.parametrize("url", ACCEPTED_CERT_URLS)
def test_sns_certificate_urls_are_trusted(settings, url):
    """https, sns.<region>.amazonaws.com(.cn), a SimpleNotificationService .pem."""
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = []
    assert sns_cert_url_trusted(url=url)


@pytest.mark.parametrize(
    "url", REFUSED_CERT_URLS.values(), ids=REFUSED_CERT_URLS.keys()
)
def test_other_certificate_urls_are_refused(settings, url):
    """Any other scheme, host, userinfo, port, path, query or character is refused."""
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = []
    assert not sns_cert_url_trusted(url=url)


def test_certificate_host_outside_trusted_domains_is_refused(settings):
    """AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS narrows the SNS hosts to exact names."""
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = ["sns.us-east-1.amazonaws.com"]
    assert sns_cert_url_trusted(url=CERT_URL)
    assert not sns_cert_url_trusted(url=ACCEPTED_CERT_URLS[2])


@pytest.mark.parametrize(
    "name", ["http", "other-host", "lookalike-suffix", "not-pem", "port", "userinfo"]
)
def test_message_with_untrusted_certificate_url_is_refused_unfetched(client, sns, name):
    """The endpoint refuses such a message without downloading anything."""
    body = notification(ses_bounce("a@example.com"))
    body["SigningCertURL"] = REFUSED_CERT_URLS[name]
    assert ses_events_post(client, body).status_code == 400
    sns.assert_not_called()


# --- Certificate download and cache ------------------------------------------------


def test_certificate_is_fetched_once_for_two_messages(client, sns):
    """The certificate is cached by URL: two messages, one download."""
    for index, version in enumerate(["1", "2"]):
        body = notification(
            ses_bounce(f"a{index}@example.com"),
            version=version,
            message_id=f"m-{index}",
        )
        assert ses_events_post(client, body).status_code == 200
    sns.assert_called_once_with(url=CERT_URL)
    assert Suppression.objects.count() == 2


def test_expired_certificate_is_refused(client, sns):
    """A certificate past its notAfter date does not verify anything."""
    key, pem = key_and_cert(not_before_days=-10, not_after_days=-1)
    sns.certificates[CERT_URL] = pem
    body = notification(ses_bounce("a@example.com"), key=key)
    assert ses_events_post(client, body).status_code == 400


def test_not_yet_valid_certificate_is_refused(client, sns):
    """A certificate before its notBefore date does not verify anything."""
    key, pem = key_and_cert(not_before_days=1, not_after_days=10)
    sns.certificates[CERT_URL] = pem
    body = notification(ses_bounce("a@example.com"), key=key)
    assert ses_events_post(client, body).status_code == 400


def test_cached_certificate_is_refused_once_it_expires(sns):
    """Validity is checked on every use, not only when downloading."""
    sns_verify.sns_certificate_get(url=CERT_URL)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    with pytest.raises(SnsMessageRefused, match="not currently valid"):
        sns_verify.sns_certificate_get(url=CERT_URL, now=later)
    sns.assert_called_once()


@pytest.mark.parametrize(
    "content", [b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n"]
)
def test_certificate_that_is_not_x509_is_refused_and_not_cached(client, sns, content):
    """Garbage at the URL refuses the message; the next message tries again."""
    sns.certificates[CERT_URL] = content
    body = notification(ses_bounce("a@example.com"))
    assert ses_events_post(client, body).status_code == 400
    assert ses_events_post(client, body).status_code == 400
    assert sns.call_count == 2


class _FakeResponse:
    def __init__(self, status: int = 200, chunks: tuple[bytes, ...] = (b"pem",)):
        self.status_code = status
        self.chunks = chunks

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def iter_content(self, chunk_size: int):
        yield from self.chunks


def test_download_uses_a_timeout_and_no_redirects():
    """The certificate GET is bounded in time and follows no redirect."""
    with mock.patch.object(
        requests, "get", return_value=_FakeResponse(chunks=(b"a", b"b"))
    ) as get:
        assert sns_verify.sns_certificate_download(url=CERT_URL) == b"ab"
    get.assert_called_once_with(
        CERT_URL,
        timeout=sns_verify.DOWNLOAD_TIMEOUT,
        stream=True,
        allow_redirects=False,
    )


def test_download_over_size_limit_is_refused():
    """A certificate response over the size limit is refused mid-stream."""
    chunk = b"x" * 8192
    chunks = (chunk,) * (sns_verify.MAX_CERTIFICATE_BYTES // len(chunk) + 1)
    with (
        mock.patch.object(requests, "get", return_value=_FakeResponse(chunks=chunks)),
        pytest.raises(SnsMessageRefused, match="size limit"),
    ):
        sns_verify.sns_certificate_download(url=CERT_URL)


@pytest.mark.parametrize(
    ("status", "error"),
    [(301, SnsMessageRefused), (404, SnsMessageRefused), (503, SnsUnavailable)],
)
def test_download_error_status(status, error):
    """A redirect or 4xx refuses the message; a 5xx is AWS's problem (retry)."""
    with (
        mock.patch.object(requests, "get", return_value=_FakeResponse(status=status)),
        pytest.raises(error),
    ):
        sns_verify.sns_certificate_download(url=CERT_URL)


def test_unreachable_certificate_host_answers_503(client, settings):
    """A network error fetching the certificate asks SNS to retry (503)."""
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = ["sns.us-east-1.amazonaws.com"]
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    sns_verify.sns_certificate_cache_clear()
    with mock.patch.object(
        requests, "get", side_effect=requests.ConnectionError("down")
    ):
        response = ses_events_post(client, notification(ses_bounce("a@example.com")))
    assert response.status_code == 503
    assert not Suppression.objects.exists()


# --- SubscribeURL ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}&Token=abc",
        "https://evil.example.com/?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}&Token=abc",
        "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}&Token=abc",
        "https://sns.us-east-1.amazonaws.com:8443/?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}&Token=abc",
        "https://x@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}&Token=abc",
        f"https://sns.us-east-1.amazonaws.com/?Action=Publish&TopicArn={TOPIC}",
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={OTHER_TRUSTED_TOPIC}&Token=abc",
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&Action=Publish&TopicArn={TOPIC}",
        "https://sns.us-east-1.amazonaws.com/other?Action=ConfirmSubscription"
        f"&TopicArn={TOPIC}",
        "file:///etc/passwd",
    ],
)
def test_untrusted_subscribe_urls_are_refused(settings, url):
    """Only an https SNS ConfirmSubscription link for the message's topic."""
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = []
    assert sns_subscribe_url_trusted(url=SUBSCRIBE_URL, topic_arn=TOPIC)
    assert not sns_subscribe_url_trusted(url=url, topic_arn=TOPIC)


def test_signed_confirmation_with_untrusted_subscribe_url_is_not_opened(
    client, sns, confirm
):
    """Even a verified message cannot make us GET a non-SNS URL."""
    body = subscription(
        subscribe_url="https://evil.example.com/?Action=ConfirmSubscription"
    )
    assert ses_events_post(client, body).status_code == 400
    confirm.assert_not_called()


# --- Logs --------------------------------------------------------------------------


def test_refusal_log_names_topic_message_and_reason_not_the_message(
    client, sns, caplog
):
    """The log has the topic, message id and reason; never the message itself."""
    body = notification(ses_bounce("secret-victim@example.com"), key=OTHER_KEY)
    with caplog.at_level(logging.INFO):
        assert ses_events_post(client, body).status_code == 400
    text = caplog.text
    assert "signature does not verify" in text
    assert TOPIC in text
    assert "sns-message-1" in text
    assert "secret-victim" not in text
    assert body["Signature"] not in text


def test_verification_off_accepts_unsigned_messages_from_trusted_topics(
    client, settings
):
    """With AWS_SES_VERIFY_EVENT_SIGNATURES off (local only) no signature is needed."""
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = False
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    body = notification(ses_bounce("a@example.com"))
    for field in ("Signature", "SignatureVersion", "SigningCertURL"):
        del body[field]
    assert ses_events_post(client, body).status_code == 200
    assert Suppression.objects.exists()
    # ...but it never confirms a subscription it cannot verify.
    with mock.patch(
        "emails.services.ses_events.sns_subscription_confirm_request"
    ) as confirm:
        assert ses_events_post(client, subscription()).status_code == 400
    confirm.assert_not_called()
