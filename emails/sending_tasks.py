"""Celery tasks of the scheduled and send paths: the dispatcher, the lost-work
sweep, and one approved email's send."""

from __future__ import annotations

import random
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from emails.services.dispatch import emails_dispatch
from emails.services.sending import SendDeferred, email_send
from stitchengage.task_retry import database_retry

SEND_EMAIL_MAX_RETRIES = 8
# Exponential backoff for throttled sends: 2, 4, 8 ... seconds, capped, with jitter.
SEND_BACKOFF_BASE_SECONDS = 2
SEND_BACKOFF_MAX_SECONDS = 600


def send_retry_countdown(*, retries: int) -> float:
    """Return the seconds to wait before retry ``retries + 1`` (half jitter)."""
    ceiling = min(SEND_BACKOFF_MAX_SECONDS, SEND_BACKOFF_BASE_SECONDS * 2**retries)
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter only


@shared_task(
    bind=True,
    name="emails.send_email",
    # A queue of its own: on Lambda its event source's concurrency is SES's rate
    # limit, which must not also hold back rescoring on `default`.
    queue="send",
    # The claim (approved -> sending) makes redelivery harmless, so the message is
    # acknowledged only after the send: a worker lost mid-send redelivers it, and
    # the redelivered task finds the email in `sending` and stops.
    acks_late=True,
    reject_on_worker_lost=True,
    # Celery's limiter is a token bucket of capacity 1 per worker process: the
    # real ceiling is this rate times the processes consuming the queue.
    rate_limit=settings.SEND_RATE_LIMIT or None,
    max_retries=SEND_EMAIL_MAX_RETRIES,
    # A lost connection before the claim leaves the email approved, after it in
    # sending: either way the retry's claim decides, so nothing is sent twice.
    **database_retry(),
)
def send_email_task(self, email_id: int) -> str | None:
    """Send an approved email exactly once; retry later when the provider throttles."""
    try:
        email = email_send(email_id=email_id)
    except SendDeferred as deferred:
        if self.request.retries >= self.max_retries:
            # Out of retries: the email stays approved for a human to send again.
            return deferred.email.status
        raise self.retry(
            countdown=send_retry_countdown(retries=self.request.retries)
        ) from deferred
    return email.status if email else None


@shared_task(
    name="emails.dispatch_sends",
    queue="default",
    # A run that is lost or overlaps the next is harmless (the claim skips locked
    # and stamped rows), and the next run comes minutes later: only a lost
    # database connection is retried, a few times.
    max_retries=0,
    ignore_result=True,
    **database_retry(max_retries=3),
)
def dispatch_sends_task() -> dict[str, int]:
    """Publish the approved emails that are due (the Celery beat schedule)."""
    outcome = emails_dispatch()
    return {
        "enqueued": outcome.enqueued,
        "not_enqueued": outcome.not_enqueued,
        "rescheduled": outcome.rescheduled,
    }


@shared_task(
    name="emails.sweep_lost_work",
    queue="default",
    # Like the dispatcher: idempotent, and the next run is minutes away.
    max_retries=0,
    ignore_result=True,
    **database_retry(max_retries=3),
)
def lost_work_sweep_task() -> dict[str, int]:
    """Publish again the rescores and drafts whose publish was lost (beat)."""
    from stitchengage.services.lost_work import lost_work_sweep

    return asdict(lost_work_sweep())
