"""Celery tasks of emails: fetch by pk and call one service.

Drafting (the llm queue), one approved email's send (the send queue), and the
scheduled dispatcher and lost-work sweep. Queues are routed in
``CELERY_TASK_ROUTES`` (settings), not here.
"""

from __future__ import annotations

import random
from dataclasses import asdict

from celery import shared_task
from django.conf import settings

from emails.services.dispatch import emails_dispatch
from emails.services.drafting import QUEUED, draft_generate, draft_request_evaluate
from emails.services.sending import SendDeferred, email_send
from stitchengage.task_retry import database_retry

GENERATE_DRAFT_MAX_RETRIES = 5

SEND_EMAIL_MAX_RETRIES = 8
# Exponential backoff for throttled sends: 2, 4, 8 ... seconds, capped, with jitter.
SEND_BACKOFF_BASE_SECONDS = 2
SEND_BACKOFF_MAX_SECONDS = 600


def _retries_allowed(task) -> int:
    """Return the retries a drafting task may ask for: none when run eagerly.

    Eagerly (no broker) there is no worker to retry later: Celery would re-run
    the task at once inside the caller's request, or raise ``Retry`` into it
    when eager errors propagate. A transient failure then fails the draft, which
    a reviewer can regenerate.
    """
    return 0 if task.request.is_eager else task.max_retries


# The options of both drafting tasks: one model call each, claimed queued ->
# drafting, so a redelivery is harmless and the message is acknowledged late.
DRAFT_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "rate_limit": settings.LLM_RATE_LIMIT or None,
    "max_retries": GENERATE_DRAFT_MAX_RETRIES,
    # Only a lost database connection is retried blindly; model errors are
    # classified by the service, which asks for a retry through `retry_in`.
    **database_retry(),
}


@shared_task(name="emails.generate_draft", **DRAFT_TASK_OPTIONS)
def generate_draft_task(self, snapshot_id: int) -> str | None:
    """Queue and draft the re-engagement email of a snapshot, if it gets one."""
    request = draft_request_evaluate(snapshot_id=snapshot_id, claim=True)
    if request.email is None:
        return None
    outcome = draft_generate(
        email=request.email,
        retries=self.request.retries,
        max_retries=_retries_allowed(self),
        claimed=request.outcome == QUEUED,
        sweep_when_exhausted=not self.request.is_eager,
    )
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.email.status


@shared_task(name="emails.regenerate_draft", **DRAFT_TASK_OPTIONS)
def regenerate_draft_task(self, email_id: int) -> str | None:
    """Draft an email a reviewer asked to regenerate; a redelivery does nothing.

    ``draft_generate`` claims queued -> drafting with a conditional update, so a
    second delivery finds the email past queued and makes no model call.
    """
    from emails.models import ReengagementEmail

    email = (
        ReengagementEmail.objects.select_related("client__stylist")
        .filter(pk=email_id)
        .first()
    )
    if email is None:
        return None
    outcome = draft_generate(
        email=email,
        retries=self.request.retries,
        max_retries=_retries_allowed(self),
        sweep_when_exhausted=not self.request.is_eager,
    )
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.email.status


def send_retry_countdown(*, retries: int) -> float:
    """Return the seconds to wait before retry ``retries + 1`` (half jitter)."""
    ceiling = min(SEND_BACKOFF_MAX_SECONDS, SEND_BACKOFF_BASE_SECONDS * 2**retries)
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter only


@shared_task(
    bind=True,
    name="emails.send_email",
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
    # Like the dispatcher: idempotent, and the next run is minutes away.
    max_retries=0,
    ignore_result=True,
    **database_retry(max_retries=3),
)
def lost_work_sweep_task() -> dict[str, int]:
    """Publish again the rescores and drafts whose publish was lost (beat)."""
    from stitchengage.services.lost_work import lost_work_sweep

    return asdict(lost_work_sweep())
