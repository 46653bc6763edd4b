"""Settle emails left in ``sending``: a human checked SES and says what happened.

A worker that died mid-send (or an SES call whose outcome is unknown) leaves the
email in ``sending``, and nothing resends it automatically. After checking the SES
console or the delivery events, a reviewer either confirms it was sent or sends it
again.
"""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from emails.models import EmailStatus, ReengagementEmail
from emails.services.dispatch import sends_publish
from emails.services.review import user_can_review
from emails.services.transitions import email_transition


def stuck_send_confirm_sent(
    *, email: ReengagementEmail, actor: AbstractBaseUser, note: str = ""
) -> ReengagementEmail:
    """Record that SES did deliver a message the worker could not confirm."""
    if not user_can_review(actor):
        raise PermissionDenied
    return email_transition(
        email=email,
        to=EmailStatus.SENT,
        actor=actor,
        note=note or "confirmed sent after checking SES",
        sent_at=email.sent_at or timezone.now(),
    )


def stuck_send_retry(
    *, email: ReengagementEmail, actor: AbstractBaseUser, note: str = ""
) -> ReengagementEmail:
    """Put an email SES never received back to approved and send it (on commit).

    Due now and stamped as dispatched, as "Send now" does: the publish after the
    commit goes through the dispatcher's ``sends_publish``, which logs a failure
    (broker down) instead of raising it into the page and clears the stamp, so
    the next dispatcher run sends it.
    """
    if not user_can_review(actor):
        raise PermissionDenied
    now = timezone.now()
    return email_transition(
        email=email,
        to=EmailStatus.APPROVED,
        actor=actor,
        note=note or "not found in SES: sending again",
        on_commit=partial(sends_publish, email_ids=[email.pk], stamp=now),
        send_after=now,
        dispatched_at=now,
    )
