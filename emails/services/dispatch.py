"""From approval to the send queue: approved emails wait for their send time.

SQS holds a message for 15 minutes at most, so an email due tomorrow at 10:00 in
the client's zone cannot be published at approval. It waits in the database:

1. Approval (``review.email_approve``) sets ``send_after`` with
   ``send_time.send_time_choose``: the client's best hour inside their daytime
   window, never on a quiet day.
2. On commit, ``email_dispatch_if_due`` publishes the send at once when that time
   has come (approval inside the best-hour slot). A failed publish (the broker is
   down) is logged, never an error page; step 3 picks the email up.
3. Every ``SEND_DISPATCH_INTERVAL_MINUTES`` ``emails_dispatch`` (a Zappa scheduled
   event on Lambda, Celery beat elsewhere) claims the due emails: approved,
   ``send_after`` passed, and not enqueued in the last
   ``SEND_REDISPATCH_AFTER_SECONDS``. One short transaction locks them with
   ``SELECT ... FOR UPDATE SKIP LOCKED`` and stamps ``dispatched_at``: a second
   dispatcher running at the same moment skips the locked rows, and one running
   after the commit finds them stamped, so each is published once. A due email
   whose client's window has closed since (it waited out a broker outage, a quiet
   day began) is given a new ``send_after`` instead.
4. After the commit each claimed email's send is published
   (``task_queue.task_enqueue``); a failed publish clears the stamp, so the next
   run tries again.
5. The send task claims approved -> sending (``sending.email_send``): whatever
   was published twice (a redispatch after a lost message, Send now) is sent once.

"Send now" (``email_send_now``) is a reviewer's override of step 1: the time
becomes now and the send is published at once, window or not.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from emails.models import EmailStatus, EmailTransition, ReengagementEmail
from emails.services.best_hour import clients_best_hour
from emails.services.send_time import send_time_choose, send_window_contains
from emails.services.task_queue import task_enqueue
from emails.services.transitions import IllegalTransition

logger = logging.getLogger(__name__)

SEND_NOW_NOTE = "send now"


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    enqueued: int  # sends published
    not_enqueued: int  # claimed but the publish failed: left for the next run
    rescheduled: int  # due, but the client's window had closed: a new send_after


def emails_due(*, now: dt.datetime) -> QuerySet[ReengagementEmail]:
    """Return the approved emails whose time has come and that no run published
    in the last ``SEND_REDISPATCH_AFTER_SECONDS``."""
    recently = now - dt.timedelta(seconds=settings.SEND_REDISPATCH_AFTER_SECONDS)
    return ReengagementEmail.objects.filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=recently),
        status=EmailStatus.APPROVED,
        send_after__lte=now,
    )


def sends_publish(*, email_ids: list[int], stamp: dt.datetime) -> int:
    """Publish the send of each email stamped ``stamp``; return how many went."""
    from emails.tasks import send_email_task

    published = 0
    for email_id in email_ids:
        if task_enqueue(send_email_task, email_id):
            published += 1
            continue
        # Unstamped only if no later run has stamped it since.
        ReengagementEmail.objects.filter(pk=email_id, dispatched_at=stamp).update(
            dispatched_at=None
        )
    return published


def emails_dispatch(*, now: dt.datetime | None = None) -> DispatchOutcome:
    """Publish the sends that are due (steps 3 and 4 above); call it outside a
    transaction, from the scheduled event or the beat task."""
    now = now or timezone.now()
    with transaction.atomic():
        emails = list(
            emails_due(now=now)
            .select_related("client")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("send_after", "pk")[: settings.SEND_DISPATCH_BATCH_SIZE]
        )
        closed = [
            e for e in emails if not send_window_contains(client=e.client, at=now)
        ]
        best = clients_best_hour(client_ids=[e.client_id for e in closed])
        for email in closed:
            later = send_time_choose(
                client=email.client, now=now, best_hour=best[email.client_id].hour
            )
            ReengagementEmail.objects.filter(pk=email.pk).update(
                send_after=later, dispatched_at=None
            )
            logger.info("Email %s: window closed, rescheduled to %s", email.pk, later)
        closed_ids = {e.pk for e in closed}
        due_ids = [e.pk for e in emails if e.pk not in closed_ids]
        ReengagementEmail.objects.filter(pk__in=due_ids).update(dispatched_at=now)
    published = sends_publish(email_ids=due_ids, stamp=now)
    return DispatchOutcome(
        enqueued=published,
        not_enqueued=len(due_ids) - published,
        rescheduled=len(closed),
    )


def email_dispatch_if_due(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Publish one approved email's send if its time has come (step 2 above).

    The same claim as the dispatcher's, on one row: a conditional update of
    ``dispatched_at``, so a dispatcher run at the same moment cannot publish it
    too. Return whether it was published.
    """
    now = now or timezone.now()
    claimed = (
        emails_due(now=now)
        .filter(pk=email_id, dispatched_at__isnull=True)
        .update(dispatched_at=now)
    )
    return bool(claimed) and sends_publish(email_ids=[email_id], stamp=now) == 1


def email_send_now(
    *, email: ReengagementEmail, actor: AbstractBaseUser, now: dt.datetime | None = None
) -> ReengagementEmail:
    """Send an approved email now rather than at its chosen time (a reviewer's call).

    The time and the claim move together in one conditional update, and the
    trail records who asked. The send is published on commit; if that fails the
    stamp is cleared and the dispatcher sends it, inside the client's window.
    """
    from emails.services.review import user_can_review

    if not user_can_review(actor):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        moved = ReengagementEmail.objects.filter(
            pk=email.pk, status=EmailStatus.APPROVED
        ).update(send_after=now, dispatched_at=now, updated_at=now)
        if not moved:
            email.refresh_from_db(fields=["status"])
            raise IllegalTransition(
                f"Email #{email.pk} is {email.get_status_display().lower()}; only "
                "an approved email waiting for its time can be sent now."
            )
        EmailTransition.objects.create(
            email_id=email.pk,
            from_status=EmailStatus.APPROVED,
            to_status=EmailStatus.APPROVED,
            actor=actor,
            note=SEND_NOW_NOTE,
            changes={"send_after": {"from": _iso(email.send_after), "to": _iso(now)}},
        )
        transaction.on_commit(partial(sends_publish, email_ids=[email.pk], stamp=now))
    email.send_after = email.dispatched_at = now
    return email


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
