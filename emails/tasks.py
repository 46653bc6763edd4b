"""Celery tasks of emails: fetch by pk and call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from emails.services.drafting import QUEUED, draft_generate, draft_request_evaluate
from stitchengage.task_retry import database_retry

GENERATE_DRAFT_MAX_RETRIES = 5


def _retries_allowed(task) -> int:
    """Return the retries a drafting task may ask for: none when run eagerly.

    Eagerly (no broker) there is no worker to retry later: Celery would re-run
    the task at once inside the caller's request, or raise ``Retry`` into it
    when eager errors propagate. A transient failure then fails the draft, which
    a reviewer can regenerate.
    """
    return 0 if task.request.is_eager else task.max_retries


@shared_task(
    bind=True,
    name="emails.generate_draft",
    queue="llm",
    acks_late=True,
    reject_on_worker_lost=True,
    rate_limit=settings.LLM_RATE_LIMIT or None,
    max_retries=GENERATE_DRAFT_MAX_RETRIES,
    # Only a lost database connection is retried blindly; model errors are
    # classified by the service, which asks for a retry through `retry_in`.
    **database_retry(),
)
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


@shared_task(
    bind=True,
    name="emails.regenerate_draft",
    queue="llm",
    acks_late=True,
    reject_on_worker_lost=True,
    rate_limit=settings.LLM_RATE_LIMIT or None,
    max_retries=GENERATE_DRAFT_MAX_RETRIES,
    **database_retry(),
)
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


from emails.sending_tasks import (  # noqa: E402,F401 - registers the tasks
    dispatch_sends_task,
    lost_work_sweep_task,
    send_email_task,
)
