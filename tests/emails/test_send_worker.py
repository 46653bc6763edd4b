"""End to end: approving an email makes a real worker send it exactly once."""

from __future__ import annotations

import time
from email import policy
from email.parser import Parser

import pytest

from emails.models import EmailStatus
from emails.services.unsubscribe import unsubscribe_token_client
from tests.emails.conftest import approved_email_publish, email_wait_for_status

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
    email = approved_email_publish(
        client_email="ann@example.com", first_name="Ann", publishes=2
    )
    email_wait_for_status(email, EmailStatus.SENT, timeout=WAIT_SECONDS)
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
