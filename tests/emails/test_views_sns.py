"""SES bounce and complaint events posted by SNS to /ses/events/.

The messages are signed in the test as SNS signs them (tests/support/sns.py);
only the certificate download and the subscription GET are patched. Everything
else, from the URL checks to django-ses's signals and emails.receivers_ses,
runs for real. Signature rules themselves are in test_sns_verify.py.
"""

from __future__ import annotations

import json
import logging
from unittest import mock

import pytest
from django.urls import reverse

from emails.models import EmailStatus, Suppression
from emails.services import sns_verify
from tests.customers.factories import ClientFactory
from tests.emails.factories import ReengagementEmailFactory
from tests.support.sns import (
    OTHER_KEY,
    SUBSCRIBE_URL,
    TOPIC,
    notification,
    ses_bounce,
    ses_complaint,
    ses_events_post,
    subscription,
)

pytestmark = pytest.mark.django_db

FORMATS = ["notificationType", "eventType"]  # identity feedback, event publishing


@pytest.mark.parametrize("field", FORMATS)
@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_hard_bounce_suppresses_address_and_open_email(
    client, sns, field, version
):
    """A verified Permanent bounce adds the address and suppresses the open email."""
    customer = ClientFactory(email="gone@example.com")
    email = ReengagementEmailFactory(client=customer, status=EmailStatus.APPROVED)
    body = notification(ses_bounce("GONE@example.com", field=field), version=version)
    assert ses_events_post(client, body).status_code == 200
    sns.assert_called_once()
    (suppression,) = Suppression.objects.all()
    assert suppression.email == "GONE@example.com"
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE
    email.refresh_from_db()
    assert email.status == EmailStatus.SUPPRESSED


@pytest.mark.parametrize("field", FORMATS)
@pytest.mark.parametrize("version", ["1", "2"])
def test_complaint_suppresses_address(client, sns, field, version):
    """A spam complaint, in either SES format, puts the address on the list."""
    body = notification(ses_complaint("c@example.com", field=field), version=version)
    assert ses_events_post(client, body).status_code == 200
    (suppression,) = Suppression.objects.all()
    assert suppression.email == "c@example.com"
    assert suppression.reason == Suppression.Reason.COMPLAINT


@pytest.mark.parametrize("field", FORMATS)
@pytest.mark.parametrize("bounce_type", ["Transient", "Undetermined"])
def test_soft_bounce_is_not_suppressed(client, sns, field, bounce_type):
    """A soft bounce (mailbox full) is accepted but suppresses nothing."""
    body = notification(ses_bounce("full@example.com", bounce_type, field=field))
    assert ses_events_post(client, body).status_code == 200
    assert not Suppression.objects.exists()


def test_event_type_wins_over_notification_type(client, sns):
    """As in django-ses, eventType is read first when both are present."""
    event = ses_bounce("a@example.com", field="eventType")
    event["notificationType"] = "Delivery"
    assert ses_events_post(client, notification(event)).status_code == 200
    assert Suppression.objects.filter(reason=Suppression.Reason.HARD_BOUNCE).exists()


def test_bad_signature_is_refused_and_writes_nothing(client, sns):
    """A bounce signed with another key gets a 400; no suppression is written."""
    body = notification(ses_bounce("a@example.com"), key=OTHER_KEY)
    assert ses_events_post(client, body).status_code == 400
    assert not Suppression.objects.exists()


def test_message_altered_after_signing_is_refused(client, sns):
    """Changing the signed Message (another address) breaks the signature."""
    body = notification(ses_bounce("a@example.com"))
    body["Message"] = json.dumps(ses_bounce("victim@example.com"))
    assert ses_events_post(client, body).status_code == 400
    assert not Suppression.objects.exists()


def test_certificate_from_untrusted_domain_is_refused(client, sns):
    """A message pointing at a certificate outside the trusted domains is refused."""
    body = notification(ses_bounce("a@example.com"))
    body["SigningCertURL"] = "https://evil.example.com/cert.pem"
    assert ses_events_post(client, body).status_code == 400
    sns.assert_not_called()
    assert not Suppression.objects.exists()


def test_untrusted_topic_is_refused(client, sns, settings):
    """A validly signed message from a topic we do not use is refused."""
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = ["arn:aws:sns:us-east-1:1:other"]
    assert (
        ses_events_post(client, notification(ses_bounce("a@example.com"))).status_code
        == 400
    )
    assert not Suppression.objects.exists()


def test_repeated_bounce_keeps_one_suppression_row(client, sns):
    """SNS redelivery or a second bounce in another case adds no duplicate."""
    Suppression.objects.create(email="dup@example.com", reason="unsubscribe")
    for address in ("dup@example.com", "DUP@EXAMPLE.COM"):
        assert (
            ses_events_post(client, notification(ses_bounce(address))).status_code
            == 200
        )
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize(
    "message",
    [
        "Successfully validated SNS topic for Amazon SES event publishing.",
        json.dumps({"eventType": "Delivery", "mail": {}, "delivery": {}}),
        json.dumps({"notificationType": "AmazonSnsSubscriptionSucceeded"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"eventType": 5}),
    ],
    ids=["ses-setup-text", "delivery", "subscription-succeeded", "list", "odd-type"],
)
def test_other_signed_notifications_are_acknowledged(client, sns, message, caplog):
    """SES's setup message and other events: 200, no write, logged by message id."""
    with caplog.at_level(logging.INFO, logger="emails.services.ses_events"):
        assert ses_events_post(client, notification(message)).status_code == 200
    assert not Suppression.objects.exists()
    assert "sns-message-1" in caplog.text


@pytest.mark.parametrize(
    "event",
    [
        {"eventType": "Bounce", "mail": {}, "bounce": "x"},
        {"eventType": "Bounce", "mail": [], "bounce": {"bouncedRecipients": []}},
        {"eventType": "Bounce", "mail": {}, "bounce": {"bouncedRecipients": "a@b"}},
        {
            "eventType": "Bounce",
            "mail": {},
            "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{}]},
        },
        {
            "eventType": "Complaint",
            "mail": {},
            "complaint": {"complainedRecipients": [{"emailAddress": 7}]},
        },
        {
            "notificationType": "Bounce",
            "mail": {},
            "bounce": {"bounceType": ["Permanent"], "bouncedRecipients": []},
        },
    ],
    ids=[
        "bounce-string",
        "mail-list",
        "recipients-string",
        "no-address",
        "address-number",
        "bounce-type-list",
    ],
)
def test_malformed_ses_event_in_a_signed_message_answers_400(client, sns, event):
    """Even a verified message cannot make a receiver raise: 400, nothing written."""
    assert ses_events_post(client, notification(event)).status_code == 400
    assert not Suppression.objects.exists()


def test_subscription_confirmation_fetches_subscribe_url(client, sns, confirm):
    """A signed subscription to a trusted topic is confirmed by opening its URL."""
    assert ses_events_post(client, subscription()).status_code == 200
    confirm.assert_called_once_with(url=SUBSCRIBE_URL)


def test_subscription_confirmation_for_untrusted_topic_is_not_confirmed(
    client, sns, confirm, settings
):
    """A signed confirmation for a topic we do not use is refused, not opened."""
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = ["arn:aws:sns:us-east-1:1:other"]
    assert ses_events_post(client, subscription()).status_code == 400
    confirm.assert_not_called()
    sns.assert_not_called()


def test_unsigned_subscription_confirmation_is_not_confirmed(client, sns, confirm):
    """Without a valid signature nobody can make us confirm a subscription."""
    body = {
        "Type": "SubscriptionConfirmation",
        "TopicArn": TOPIC,
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Confirm",
    }
    assert ses_events_post(client, body).status_code == 400
    tampered = subscription()
    tampered["Token"] = "other"
    assert ses_events_post(client, tampered).status_code == 400
    confirm.assert_not_called()


def test_failed_confirmation_answers_503(client, sns):
    """If SNS does not answer the confirmation GET, SNS is asked to retry."""
    with mock.patch("requests.get", return_value=mock.Mock(status_code=500)) as get:
        assert ses_events_post(client, subscription()).status_code == 503
    get.assert_called_once()
    assert get.call_args.args == (SUBSCRIBE_URL,)
    assert get.call_args.kwargs["allow_redirects"] is False


def test_unsubscribe_confirmation_is_acknowledged_and_logged(
    client, sns, confirm, caplog
):
    """An UnsubscribeConfirmation is verified, logged and not acted on."""
    body = subscription(message_type="UnsubscribeConfirmation")
    with caplog.at_level(logging.INFO, logger="emails.services.ses_events"):
        assert ses_events_post(client, body).status_code == 200
    confirm.assert_not_called()
    assert "unsubscribe confirmation" in caplog.text
    assert TOPIC in caplog.text
    assert "sns-sub-1" in caplog.text


# --- Bad input (issue 17): every refusal is a 4xx that names the field ----------


def _refusal(response) -> str:
    assert response.status_code == 400, response.content
    return response.content.decode()


ENVELOPE_FIELDS = [
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
]
WRONG_VALUES = {"number": 7, "list": ["x"], "object": {"x": 1}, "null": None}


# A null Subject is no Subject (as in AWS's validator), so it is not a wrong type.
WRONG_TYPES = [
    pytest.param(field, kind, id=f"{field}-{kind}")
    for field in [*ENVELOPE_FIELDS, "Subject"]
    for kind in WRONG_VALUES
    if (field, kind) != ("Subject", "null")
]


@pytest.mark.parametrize(("field", "kind"), WRONG_TYPES)
def test_wrong_type_in_each_envelope_field_is_named(client, sns, field, kind):
    """A number, list, object or null where SNS sends a string: 400 naming it."""
    body = notification(ses_bounce("a@example.com"))
    body[field] = WRONG_VALUES[kind]
    page = _refusal(ses_events_post(client, body))
    assert field in page
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param("", "body is not JSON", id="empty"),
        pytest.param("{not json", "body is not JSON", id="invalid-json"),
        pytest.param("[1, 2]", "body is a JSON list", id="json-array"),
        pytest.param('"text"', "body is a JSON str", id="json-string"),
        pytest.param("{}", "Type is missing", id="empty-object"),
    ],
)
def test_unreadable_bodies_say_why(client, sns, body, words):
    """Empty, not JSON, or JSON that is not an object: 400 saying which."""
    response = client.post(
        reverse("emails:ses_events"), data=body, content_type="text/plain"
    )
    assert words in _refusal(response)
    sns.assert_not_called()


def test_unknown_type_is_named(client, sns):
    """A Type SNS does not send is refused by name."""
    body = notification(ses_bounce("a@example.com"))
    body["Type"] = "Surprise"
    assert "unknown Type" in _refusal(ses_events_post(client, body))


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/SimpleNotificationService-a.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/../SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem?x=1",
        "https://sns.us-east-1.amazonaws.com/cert.pem",
    ],
    ids=["other-host", "http", "dot-dot-path", "query", "other-file"],
)
def test_untrusted_certificate_url_is_named_and_not_fetched(client, sns, url):
    """SigningCertURL on another host, over http or with an odd path: 400, unfetched."""
    body = notification(ses_bounce("a@example.com"))
    body["SigningCertURL"] = url
    assert "untrusted SigningCertURL" in _refusal(ses_events_post(client, body))
    sns.assert_not_called()


def test_five_megabyte_body_is_refused_unread(client, sns):
    """A 5 MB body answers 413 from its Content-Length, before anything parses it."""
    with mock.patch("emails.views_sns.ses_event_receive") as receive:
        response = client.post(
            reverse("emails:ses_events"),
            data=b"{" + b" " * (5 * 1024 * 1024) + b"}",
            content_type="text/plain",
        )
    assert response.status_code == 413
    assert "over 262144 bytes" in response.content.decode()
    receive.assert_not_called()


def test_body_limit_is_a_setting(client, sns, settings):
    """AWS_SNS_EVENT_MAX_BODY_BYTES sets the limit: one byte over is refused."""
    body = json.dumps(notification(ses_bounce("a@example.com")))
    settings.AWS_SNS_EVENT_MAX_BODY_BYTES = len(body) - 1
    assert ses_events_post(client, json.loads(body)).status_code == 413
    settings.AWS_SNS_EVENT_MAX_BODY_BYTES = len(body)
    assert ses_events_post(client, json.loads(body)).status_code == 200


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"eventType": "Bounce"}, "mail is missing"),
        ({"eventType": "Bounce", "mail": {}}, "bounce is missing"),
        (
            {"eventType": "Bounce", "mail": {}, "bounce": {}},
            "bounce.bouncedRecipients is missing",
        ),
        (
            {"eventType": "Bounce", "mail": {}, "bounce": {"bouncedRecipients": [{}]}},
            "bounce.bouncedRecipients[0].emailAddress",
        ),
        (
            {"notificationType": "Complaint", "mail": {"messageId": 5}},
            "mail.messageId",
        ),
        (
            {
                "eventType": "Complaint",
                "mail": {},
                "complaint": {
                    "complainedRecipients": [],
                    "complaintFeedbackType": 1,
                },
            },
            "complaint.complaintFeedbackType",
        ),
    ],
    ids=[
        "no-mail",
        "no-bounce",
        "no-recipients",
        "recipient-no-address",
        "message-id-number",
        "feedback-type-number",
    ],
)
def test_notification_lacking_fields_names_the_field(client, sns, event, field):
    """A signed SES event missing what the receivers read: 400 naming the field."""
    assert field in _refusal(ses_events_post(client, notification(event)))
    assert not Suppression.objects.exists()


def test_notification_whose_message_is_not_json_is_acknowledged(client, sns):
    """Plain text (SES's own setup message is) is acknowledged with 200, not
    refused: SNS would redeliver a refused message for hours to no purpose."""
    assert ses_events_post(client, notification("not json {")).status_code == 200
    assert not Suppression.objects.exists()


@pytest.fixture
def sns_live(settings):
    """Trust the test topic but patch nothing: downloads really leave the process."""
    settings.DEBUG = False
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    settings.AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = ["sns.us-east-1.amazonaws.com"]
    settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    sns_verify.sns_certificate_cache_clear()
    yield settings
    sns_verify.sns_certificate_cache_clear()


def test_subscription_for_untrusted_topic_makes_no_outbound_request(
    client, sns_live, counting_proxy
):
    """Untrusted topic: 400 and not one request leaves (counted at a local proxy).

    The trusted topic's confirmation, sent the same way, does reach the proxy
    (its certificate download), which shows the proxy would have seen one.
    """
    sns_live.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = ["arn:aws:sns:us-east-1:1:other"]
    assert "untrusted topic" in _refusal(ses_events_post(client, subscription()))
    assert counting_proxy.requests == []

    sns_live.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = [TOPIC]
    assert ses_events_post(client, subscription()).status_code == 503
    assert counting_proxy.requests == [
        "CONNECT sns.us-east-1.amazonaws.com:443 HTTP/1.0"
    ]
