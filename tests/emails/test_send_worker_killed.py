"""A worker killed in the middle of a send: the redelivered task does not resend."""

from __future__ import annotations

import time

import pytest
import redis

from emails.models import EmailStatus, EmailTransition
from tests.emails.conftest import approved_email_publish
from tests.support.waiting import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_never_sends_twice(
    celery_worker, celery_broker, tmp_path
):
    """Kill -9 the worker while SES is being called; the message comes back, no resend.

    The first worker stalls inside the email backend and is killed there. Its
    message stays unacknowledged in Redis (acks_late); a second worker with a short
    visibility timeout restores and runs it, finds the email in ``sending`` and
    leaves it for a human: no message is written, nothing is sent twice.
    """
    outbox = tmp_path / "sent"
    marker = tmp_path / "send-started"
    broker = redis.Redis.from_url(celery_broker)
    broker.delete("unacked", "unacked_index")
    first = celery_worker(
        env={
            "EMAIL_BACKEND": "tests.support.slow_email_backend.StallingFileBackend",
            "EMAIL_FILE_PATH": str(outbox),
            "STALL_MARKER": str(marker),
            "STALL_SECONDS": "120",
        }
    )
    email = approved_email_publish(client_email="kim@example.com", first_name="Kim")

    wait_for(marker.exists, "the send to start")
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING
    assert broker.hlen("unacked") == 1
    first.kill()
    first.wait(timeout=10)

    time.sleep(2.5)  # older than the second worker's visibility timeout
    celery_worker(
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
            "CELERY_VISIBILITY_TIMEOUT": "2",
        }
    )
    wait_for(
        lambda: broker.hlen("unacked") == 0 and broker.llen("send") == 0,
        "the second worker to take and acknowledge the redelivered message",
    )
    time.sleep(1.0)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING
    assert not outbox.exists() or not list(outbox.iterdir())
    moves = EmailTransition.objects.filter(email=email, to_status=EmailStatus.SENDING)
    assert moves.count() == 1
