"""Sending an approved email exactly once, with the unsubscribe headers.

SES is unreachable here, so SES behaviour is reproduced with django-ses's own
``SESBackend`` whose boto3 client is a botocore ``Stubber``: the real backend code
runs, only the HTTPS call to SES is replaced by the stubbed response or error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from django.core import mail
from django_ses import SESBackend

from emails.models import EmailStatus, EmailTransition, ReengagementEmail, Suppression
from emails.services.sending import email_send, emails_stuck_in_sending
from emails.services.transitions import email_transition
from emails.services.unsubscribe import unsubscribe_token_client
from emails.tasks import send_email_task, send_retry_countdown
from tests.customers.factories import ClientFactory
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db

SES_BACKEND = "tests.emails.test_sending.StubbedSESBackend"


class StubbedSESBackend(SESBackend):
    """django-ses's backend talking to a botocore Stubber instead of AWS."""

    client = None

    def open(self):
        self.connection = type(self).client
        return False


class TimingOutBackend(SESBackend):
    """Stands for SES answering too late: botocore's read timeout."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        raise ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")


@pytest.fixture
def ses(settings):
    """Route mail through django-ses with a stubbed SES client; yield the Stubber."""
    client = boto3.client(
        "ses",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    StubbedSESBackend.client = client
    settings.EMAIL_BACKEND = SES_BACKEND
    settings.AWS_SES_CONFIGURATION_SET = "stitchengage-events"
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
    StubbedSESBackend.client = None


def _ses_ok(message_id: str) -> dict:
    return {"MessageId": message_id, "ResponseMetadata": {"RequestId": "req-1"}}


def _approved(**client_fields) -> ReengagementEmail:
    return ReengagementEmailFactory(
        client=ClientFactory(**client_fields),
        status=EmailStatus.APPROVED,
        subject="We picked a few things for you",
        preheader="A fresh Fix",
        body="Hi Ann,\n\nYour stylist found a denim jacket you will love.",
    )


def _path(email: ReengagementEmail) -> list[tuple[str, str]]:
    return list(
        EmailTransition.objects.filter(email=email).values_list(
            "from_status", "to_status"
        )
    )


def test_task_delivered_twice_sends_once():
    """A redelivered task finds the email no longer approved and sends nothing."""
    email = _approved()
    assert send_email_task(email.pk) == EmailStatus.SENT
    assert send_email_task(email.pk) == EmailStatus.SENT
    assert len(mail.outbox) == 1
    assert _path(email) == [("approved", "sending"), ("sending", "sent")]


def test_worker_killed_mid_send_is_not_sent_again():
    """An email left in `sending` by a dead worker is never resent automatically.

    It shows up in the list of emails stuck in sending for a human to check.
    """
    email = _approved()
    email_transition(email=email, to=EmailStatus.SENDING)  # the dead worker's claim
    assert send_email_task(email.pk) == EmailStatus.SENDING
    assert mail.outbox == []
    assert list(emails_stuck_in_sending(older_than=dt.timedelta(0))) == [email]
    assert not emails_stuck_in_sending().exists()  # only after a grace period


def test_sent_message_has_unsubscribe_headers_and_records_the_send(settings):
    """The message carries RFC 8058 headers with a signed link and the email id."""
    settings.SITE_URL = "https://engage.example.com"
    settings.UNSUBSCRIBE_MAILTO = "unsubscribe@example.com"
    email = _approved(email="ann@example.com")
    email_send(email_id=email.pk)

    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    list_unsubscribe = message.extra_headers["List-Unsubscribe"]
    url_part, mailto_part = list_unsubscribe.split(", ")
    assert url_part.startswith("<https://engage.example.com/u/")
    assert mailto_part == "<mailto:unsubscribe@example.com?subject=unsubscribe>"
    token = url_part.removeprefix("<https://engage.example.com/u/").removesuffix("/>")
    assert unsubscribe_token_client(token=token) == email.client
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert message.extra_headers["X-StitchEngage-Email-Id"] == str(email.pk)
    assert "denim jacket" in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert url_part[1:-1] in html

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.sent_at is not None
    assert email.provider_message_id.startswith("local-")
    assert email.send_cost_usd == Decimal("0.0001")


def test_client_who_unsubscribed_after_approval_is_suppressed_not_sent():
    """Contact rules are checked again at send time, after approval."""
    email = _approved()
    email.client.marketing_consent = False
    email.client.save()
    assert send_email_task(email.pk) == EmailStatus.SUPPRESSED
    assert mail.outbox == []
    assert _path(email) == [("approved", "suppressed")]


def test_suppressed_address_is_not_sent_whatever_its_case():
    """A suppression recorded after approval stops the send."""
    email = _approved(email="Bounced@Example.com")
    Suppression.objects.create(
        email="bounced@example.com", reason=Suppression.Reason.HARD_BOUNCE
    )
    assert email_send(email_id=email.pk).status == EmailStatus.SUPPRESSED
    assert mail.outbox == []


def test_ses_message_id_is_stored(ses):
    """The SES MessageId that django-ses puts on the message becomes the provider id."""
    ses.add_response("send_raw_email", _ses_ok("0100-ses-id-1"))
    email = _approved()
    sent = email_send(email_id=email.pk)
    assert sent.status == EmailStatus.SENT
    email.refresh_from_db()
    assert email.provider_message_id == "0100-ses-id-1"


def test_ses_throttling_is_retried_then_sent(ses):
    """SES Throttling puts the email back to approved; the task retries and sends.

    ``apply()`` runs the task in-process; Celery then runs the retry at once too.
    """
    ses.add_client_error(
        "send_raw_email",
        service_error_code="Throttling",
        service_message="Maximum sending rate exceeded.",
        http_status_code=400,
    )
    ses.add_response("send_raw_email", _ses_ok("0100-ses-id-2"))
    email = _approved()
    result = send_email_task.apply(args=[email.pk], throw=False)
    assert result.get() == EmailStatus.SENT
    email.refresh_from_db()
    assert email.provider_message_id == "0100-ses-id-2"
    assert email.error == ""
    assert _path(email) == [
        ("approved", "sending"),
        ("sending", "approved"),
        ("approved", "sending"),
        ("sending", "sent"),
    ]


def test_ses_throttling_past_max_retries_leaves_email_approved(ses, monkeypatch):
    """When retries run out the email stays approved, never half-sent."""
    monkeypatch.setattr(send_email_task, "max_retries", 1)
    for _ in range(2):
        ses.add_client_error("send_raw_email", service_error_code="Throttling")
    email = _approved()
    assert (
        send_email_task.apply(args=[email.pk], throw=False).get()
        == EmailStatus.APPROVED
    )
    email.refresh_from_db()
    assert email.status == EmailStatus.APPROVED
    assert "Throttling" in email.error


def test_ses_permanent_rejection_fails_with_the_reason(ses):
    """MessageRejected is final: the email is failed with SES's reason, no retry."""
    ses.add_client_error(
        "send_raw_email",
        service_error_code="MessageRejected",
        service_message="Email address is not verified.",
    )
    email = _approved()
    assert (
        send_email_task.apply(args=[email.pk], throw=False).get() == EmailStatus.FAILED
    )
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.error == "SES MessageRejected: Email address is not verified."
    assert _path(email)[-1] == ("sending", "failed")


def test_error_after_the_request_went_out_leaves_email_in_sending(settings):
    """A timeout may follow an accepted message: keep `sending`, never resend."""
    settings.EMAIL_BACKEND = "tests.emails.test_sending.TimingOutBackend"
    email = _approved()
    assert (
        send_email_task.apply(args=[email.pk], throw=False).get() == EmailStatus.SENDING
    )
    email.refresh_from_db()
    assert email.error == "Outcome unknown: ReadTimeoutError"
    assert send_email_task(email.pk) == EmailStatus.SENDING  # redelivered: no-op
    assert TimingOutBackend.calls == 1


def test_invalid_recipient_address_fails():
    """An address Django cannot put in a header is a permanent failure."""
    email = _approved(email="broken@exa\nmple.com")
    assert email_send(email_id=email.pk).status == EmailStatus.FAILED
    email.refresh_from_db()
    assert email.error.startswith("Invalid address")
    assert mail.outbox == []


def test_missing_email_is_ignored():
    """A task for a deleted email returns quietly."""
    assert send_email_task(987654) is None


def test_retry_countdown_grows_exponentially_with_jitter():
    """Each retry waits between half and all of a doubling, capped ceiling."""
    for retries, ceiling in ((0, 2), (3, 16), (20, 600)):
        waits = {send_retry_countdown(retries=retries) for _ in range(20)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(waits) > 1
