"""The email state machine: the only way an email's status changes.

Zulip's ``do_*`` actions are the model: one plain ORM write guarded by the
status the caller saw, the audit row (``EmailTransition``), and the event to
publish once it commits, all in one ``transaction.atomic``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, Q
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
    guard: Q | Exists | None = None,
    on_commit: Callable[[], object] | None = None,
    **fields: Any,
) -> ReengagementEmail:
    """Move ``email`` to status ``to``, saving ``fields`` and recording the change.

    The UPDATE is conditional on the status the caller saw, so of two concurrent
    movers only one wins; the loser gets ``IllegalTransition``. ``guard`` is a
    condition on the email row that the same UPDATE checks (such as
    ``eligibility.EMAIL_CLIENT_CONTACTABLE``), so a change committed a moment
    earlier is seen; when it fails nothing moves and ``IllegalTransition`` is
    raised too. ``on_commit`` runs once the move commits (a task to publish).

    An email not saved yet (``email._state.adding``) is inserted already in
    ``to``, its move from the status it was built with recorded: how drafting
    creates an email claimed for its worker, one write instead of two.
    """
    source = email.status
    if to not in TRANSITIONS.get(source, frozenset()):
        raise IllegalTransition(f"Email #{email.pk} cannot go from {source} to {to}.")
    with transaction.atomic():
        if email._state.adding:
            if guard is not None:
                raise ValueError("A guard needs an email row to check it against.")
            for name, value in fields.items():
                setattr(email, name, value)
            email.status = to
            email.save(force_insert=True)
            now = email.updated_at  # auto_now's instant, shared by the trail
        else:
            now = timezone.now()
            moved = ReengagementEmail.objects.filter(pk=email.pk, status=source)
            if guard is not None:
                moved = moved.filter(guard)
            if not moved.update(status=to, updated_at=now, **fields):
                raise IllegalTransition(
                    f"Email #{email.pk} is no longer {source} or fails the guard of "
                    f"the move to {to}."
                )
        EmailTransition.objects.create(
            email_id=email.pk,
            from_status=source,
            to_status=to,
            actor=actor,
            at=now,
            note=note,
            changes=changes or {},
        )
        if on_commit is not None:
            transaction.on_commit(on_commit)
    email.status = to
    email.updated_at = now
    for name, value in fields.items():
        setattr(email, name, value)
    return email
