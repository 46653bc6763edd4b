"""The email state machine: the only way an email's status changes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from emails.models import EmailStatus, EmailTransition, ReengagementEmail

S = EmailStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.DRAFTING, S.SUPPRESSED}),
    S.DRAFTING: frozenset({S.PENDING_REVIEW, S.FAILED, S.QUEUED, S.SUPPRESSED}),
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.QUEUED, S.SUPPRESSED}),
    S.APPROVED: frozenset({S.SENDING, S.SUPPRESSED}),
    S.SENDING: frozenset({S.SENT, S.FAILED, S.APPROVED}),
    S.SENT: frozenset(),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset(),
    S.SUPPRESSED: frozenset(),
}


class IllegalTransition(Exception):  # noqa: N818 - reads as a verdict
    """Raised when an email cannot move to a status from the one it is in."""


def email_transition(
    *,
    email: ReengagementEmail,
    to: str,
    actor: AbstractBaseUser | None = None,
    note: str = "",
    changes: dict[str, Any] | None = None,
    **fields: Any,
) -> ReengagementEmail:
    """Move ``email`` to status ``to``, saving ``fields`` and recording the change.

    The UPDATE is conditional on the status the caller saw, so of two concurrent
    movers only one wins; the loser gets ``IllegalTransition``.
    """
    source = email.status
    if to not in TRANSITIONS.get(source, frozenset()):
        raise IllegalTransition(f"Email #{email.pk} cannot go from {source} to {to}.")
    now = timezone.now()
    with transaction.atomic():
        moved = ReengagementEmail.objects.filter(pk=email.pk, status=source).update(
            status=to, updated_at=now, **fields
        )
        if not moved:
            raise IllegalTransition(
                f"Email #{email.pk} is no longer {source}; it was moved concurrently."
            )
        EmailTransition.objects.create(
            email=email,
            from_status=source,
            to_status=to,
            actor=actor,
            note=note,
            changes=changes or {},
        )
    email.status = to
    email.updated_at = now
    for name, value in fields.items():
        setattr(email, name, value)
    return email
