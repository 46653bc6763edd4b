"""Approval -> send -> django-ses -> SES, with moto's SES standing in for AWS.

The real chain runs: the reviewer's approval enqueues the send on commit, the
Celery task runs (through Celery's ``apply``, as a worker would run it), and
django-ses's ``SESBackend`` calls ``SendRawEmail`` on the endpoint the settings
give it. moto keeps the raw MIME message it was handed; the test reads it back
from moto's model API and checks what a mailbox provider would see.
"""

from __future__ import annotations

import email
import email.policy

import boto3
import pytest
import requests

from emails import tasks
from emails.models import EmailStatus
from emails.services.dispatch import email_send_now
from emails.services.review import email_approve
from tests.customers.factories import ClientFactory, ReviewerFactory
from tests.emails.factories import pending_email

pytestmark = pytest.mark.django_db

SENDER = "stylists@example.com"
CONFIGURATION_SET = "stitchengage-events"


@pytest.fixture
def ses(aws, settings):
    """Local SES with the sender verified and django-ses as the email backend."""
    client = boto3.client("ses", endpoint_url=aws.endpoint_url)
    client.verify_email_identity(EmailAddress=SENDER)
    client.create_configuration_set(ConfigurationSet={"Name": CONFIGURATION_SET})
    settings.EMAIL_BACKEND = "django_ses.SESBackend"
    settings.DEFAULT_FROM_EMAIL = f"StitchEngage Stylists <{SENDER}>"
    settings.AWS_SES_CONFIGURATION_SET = CONFIGURATION_SET
    settings.SES_MESSAGE_TAGS = {"app": "stitchengage", "campaign": "reengagement"}
    settings.SITE_URL = "https://engage.example.com"
    return client


def _raw_messages_recorded(endpoint_url: str) -> list[dict]:
    """Return what moto's SES accepted: id, source, destinations, raw_data."""
    data = requests.get(f"{endpoint_url}/moto-api/data.json", timeout=10).json()
    return data["ses"]["RawMessage"]


def test_approved_email_reaches_ses_with_its_headers(
    ses, aws, monkeypatch, django_capture_on_commit_callbacks
):
    """An approved draft, sent now, goes once through SES with the RFC 8058 headers.

    (Approval alone schedules the send for the client's best hour; "Send now" is
    the reviewer's way past it, through the same publish.)
    """
    monkeypatch.setattr(
        tasks.send_email_task,
        "delay",
        lambda pk: tasks.send_email_task.apply(args=(pk,)),
    )
    draft = pending_email(
        client=ClientFactory(first_name="Ana", email="ana@example.com")
    )

    reviewer = ReviewerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        email_approve(email=draft, reviewer=reviewer)
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        email_send_now(email=draft, actor=reviewer)

    draft.refresh_from_db()
    assert draft.status == EmailStatus.SENT
    (recorded,) = _raw_messages_recorded(aws.endpoint_url)
    # The MessageId SES answered is the one recorded on the email.
    assert recorded["id"] == draft.provider_message_id
    assert recorded["source"] == f"StitchEngage Stylists <{SENDER}>"
    message = email.message_from_string(
        recorded["raw_data"], policy=email.policy.default
    )
    assert message["To"] == "ana@example.com"
    assert message["From"] == f"StitchEngage Stylists <{SENDER}>"
    assert message["Subject"] == draft.subject
    # Long headers are folded onto a continuation line; unfolded, the value
    # keeps the folding space.
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<https://engage.example.com/u/")
    assert unsubscribe.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-StitchEngage-Email-Id"] == str(draft.pk)
    assert message["X-SES-CONFIGURATION-SET"] == CONFIGURATION_SET
    assert message["X-SES-MESSAGE-TAGS"] == "app=stitchengage, campaign=reengagement"
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert unsubscribe[1:-1] in html
