"""End to end: approving an email makes a real worker send it exactly once."""

from __future__ import annotations

import time
from email import policy
from email.parser import Parser
from functools import partial

import pytest
from django.db import transaction

from emails.models import EmailStatus
from emails.services.transitions import email_transition
from emails.services.unsubscribe import unsubscribe_token_client
from emails.tasks import send_email_task
from tests.customers.factories import ClientFactory
from tests.emails.factories import ReengagementEmailFactory

WAIT_SECONDS = 30.0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_approval_is_sent_once_by_a_real_worker(celery_worker, tmp_path):
    """on_commit publishes the send; a duplicate publish still gives one message.

    The worker writes messages with Django's file backend into a temp directory,
    one file per message sent.
    """
    outbox = tmp_path / "sent"
    celery_worker(
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
            "SITE_URL": "https://engage.example.com",
        }
    )
    email = ReengagementEmailFactory(
        client=ClientFactory(email="ann@example.com"),
        status=EmailStatus.PENDING_REVIEW,
        subject="A few pieces picked for you",
        body="Hi Ann,\n\nYour stylist set aside a denim jacket.",
    )
    with transaction.atomic():
        email_transition(email=email, to=EmailStatus.APPROVED)
        # As the review flow does; twice, as a double click or redelivery would.
        transaction.on_commit(partial(send_email_task.delay, email.pk))
        transaction.on_commit(partial(send_email_task.delay, email.pk))

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.status == EmailStatus.SENT:
            break
        time.sleep(0.2)
    assert email.status == EmailStatus.SENT, f"still {email.status}"
    time.sleep(1.0)  # let the duplicate task run too
    files = list(outbox.iterdir())
    assert len(files) == 1
    # The file backend writes the message, then a line of 79 dashes.
    raw = files[0].read_text().rsplit("\n" + "-" * 79, 1)[0]
    message = Parser(policy=policy.default).parsestr(raw)
    assert message["To"] == "ann@example.com"
    # Folded onto a continuation line by the encoder; unfolding leaves a space.
    link = str(message["List-Unsubscribe"]).strip()
    assert link.startswith("<https://engage.example.com/u/")
    token = link.removeprefix("<https://engage.example.com/u/").removesuffix("/>")
    assert unsubscribe_token_client(token=token) == email.client
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-StitchEngage-Email-Id"] == str(email.pk)
    assert email.provider_message_id.startswith("local-")
    assert email.transitions.filter(to_status=EmailStatus.SENDING).count() == 1
