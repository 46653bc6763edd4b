"""The email state machine: the only way an email's status changes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models, transaction
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
    guard: str | None = None,
    **fields: Any,
) -> ReengagementEmail:
    """Move ``email`` to status ``to``, saving ``fields`` and recording the change.

    The UPDATE is conditional on the status the caller saw, so of two concurrent
    movers only one wins; the loser gets ``IllegalTransition``. ``guard`` is an
    SQL condition on the email row that the same UPDATE checks (such as
    ``eligibility.EMAIL_CLIENT_CONTACTABLE``); when it fails nothing moves and
    ``IllegalTransition`` is raised too.

    Two statements in one transaction, written from the models' metadata rather
    than through a queryset: every draft makes two of these moves, and Django's
    query compilation cost several times the statements' own work.
    """
    source = email.status
    if to not in TRANSITIONS.get(source, frozenset()):
        raise IllegalTransition(f"Email #{email.pk} cannot go from {source} to {to}.")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        _execute(
            cursor,
            ReengagementEmail,
            "UPDATE {table} SET {assignments} WHERE id = %s AND status = %s",
            {"status": to, "updated_at": now, **fields},
            tail=[email.pk, source],
            suffix=f" AND ({guard})" if guard else "",
        )
        if cursor.rowcount != 1:
            raise IllegalTransition(
                f"Email #{email.pk} is no longer {source} or fails the guard of "
                f"the move to {to}."
            )
        _execute(
            cursor,
            EmailTransition,
            "INSERT INTO {table} ({columns}) VALUES ({placeholders})",
            {
                "email": email.pk,
                "from_status": source,
                "to_status": to,
                "actor": actor,
                "at": now,
                "note": note,
                "changes": changes or {},
            },
        )
    email.status = to
    email.updated_at = now
    for name, value in fields.items():
        setattr(email, name, value)
    return email


def _execute(
    cursor: Any,
    model: type[models.Model],
    template: str,
    values: dict[str, Any],
    tail: list[Any] | None = None,
    suffix: str = "",
) -> None:
    """Run ``template`` with ``values`` prepared for the database like ``save()``."""
    quote = connection.ops.quote_name
    columns, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        if field.remote_field and isinstance(value, models.Model):
            value = value.pk
        columns.append(quote(field.column))
        params.append(field.get_db_prep_save(value, connection))
    sql = template.format(
        table=quote(model._meta.db_table),
        assignments=", ".join(f"{column} = %s" for column in columns),
        columns=", ".join(columns),
        placeholders=", ".join(["%s"] * len(columns)),
    )
    cursor.execute(sql + suffix, params + (tail or []))
