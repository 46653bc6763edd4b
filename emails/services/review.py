"""The reviewer's decisions on a draft: approve (maybe edited), reject, regenerate.

Every decision goes through ``email_transition``, so it is checked against the
status table and recorded with who made it and what they changed. Permission is
checked here, not only in the admin, so no other caller can skip it.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.selectors import User
from emails.drafting import DraftValidationError, offer_violations
from emails.drafting.draft_schema import draft_validate
from emails.models import (
    OPEN_STATUSES,
    EmailComment,
    EmailStatus,
    ReengagementEmail,
)
from emails.selectors import emails_visible_to
from emails.services.dispatch import email_dispatch_if_due
from emails.services.eligibility import client_contact_block_reason
from emails.services.send_time import send_time_choose
from emails.services.transitions import IllegalTransition, email_transition

REVIEW_PERMISSION = "emails.review_reengagementemail"
COMMENT_PERMISSION = "emails.comment_reengagementemail"
REGENERATED_NOTE = "replaced by a regenerated draft"
EDITABLE_FIELDS = ("subject", "preheader", "body")
# Long bodies are summarised as a diff in the trail rather than stored twice.
DIFF_CONTEXT_LINES = 1


class ReviewRefused(Exception):  # noqa: N818 - reads as a verdict
    """Raised when a review decision is not allowed as asked; the text says why."""


def user_can_review(user: User) -> bool:
    """Return whether a user may approve, reject, edit or regenerate drafts."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm(REVIEW_PERMISSION))
    )


def user_can_comment(user: User) -> bool:
    """Return whether a user may comment on drafts (reviewers always may)."""
    return user_can_review(user) or bool(
        user.is_authenticated and user.is_active and user.has_perm(COMMENT_PERMISSION)
    )


def _require(allowed: bool, *, user: User, email: ReengagementEmail) -> None:
    # The object check keeps a stylist with comment rights to their own clients.
    if not allowed or not emails_visible_to(user).filter(pk=email.pk).exists():
        raise PermissionDenied("You may not do this to this email.")


def _require_pending(email: ReengagementEmail, *, verb: str) -> None:
    if email.status != EmailStatus.PENDING_REVIEW:
        raise IllegalTransition(
            f"Email #{email.pk} is {email.get_status_display().lower()}; only a "
            f"draft pending review can be {verb}."
        )


def email_edit_check(*, email: ReengagementEmail) -> None:
    """Raise ``IllegalTransition`` unless the email's texts may still be edited.

    Only a draft pending review can be; the edit page asks before it shows the
    form, and ``email_approve`` asks again when the edits arrive.
    """
    _require_pending(email, verb="edited")


def _edit_changes(
    email: ReengagementEmail, edits: dict[str, str | None]
) -> dict[str, Any]:
    """Return field -> {"from", "to"} for each edited field (the body with a diff)."""
    changes: dict[str, Any] = {}
    for name, value in edits.items():
        if value is None:
            continue
        old = getattr(email, name)
        if value == old:
            continue
        change: dict[str, Any] = {"from": old, "to": value}
        if name == "body":
            change["diff"] = "\n".join(
                difflib.unified_diff(
                    old.splitlines(),
                    value.splitlines(),
                    "draft",
                    "edited",
                    n=DIFF_CONTEXT_LINES,
                    lineterm="",
                )
            )
        changes[name] = change
    return changes


def _edited_values(
    email: ReengagementEmail,
    *,
    subject: str | None,
    preheader: str | None,
    body: str | None,
) -> dict[str, str]:
    """Return the edited texts, validated as a draft and free of offers."""
    candidate = {
        "subject": email.subject if subject is None else subject,
        "preheader": email.preheader if preheader is None else preheader,
        "body": email.body if body is None else body,
    }
    # Line endings from a browser textarea are CRLF; store what the model writes.
    candidate = {k: v.replace("\r\n", "\n").strip() for k, v in candidate.items()}
    if all(candidate[name] == getattr(email, name) for name in EDITABLE_FIELDS):
        return candidate  # nothing edited: the model's draft was checked already
    try:
        content = draft_validate(data=candidate, first_name=email.client.first_name)
    except DraftValidationError as exc:
        raise ReviewRefused(
            f"The edited draft is not sendable: {exc.reason}."
        ) from None
    offers = offer_violations(content.full_text)
    if offers:
        quoted = ", ".join(f"“{phrase}”" for phrase in offers)
        raise ReviewRefused(
            f"The edited draft makes an offer nobody approved ({quoted}); "
            "remove it before approving."
        )
    return {
        "subject": content.subject,
        "preheader": content.preheader,
        "body": content.body,
    }


def email_approve(
    *,
    email: ReengagementEmail,
    reviewer: User,
    subject: str | None = None,
    preheader: str | None = None,
    body: str | None = None,
) -> ReengagementEmail:
    """Approve a pending draft, with the reviewer's edits if any, and schedule it.

    The send time (``send_after``) is the client's best hour in their daytime
    window (``emails.services.dispatch`` numbers the steps from here); when it
    is now, the send is published on commit, else the dispatcher publishes it.
    A client who may no longer be contacted is not approved: the draft moves to
    suppressed instead (check ``status`` on the returned email). Edited text
    passes the same checks as a model's draft and must not make an offer.
    """
    _require(user_can_review(reviewer), user=reviewer, email=email)
    _require_pending(email, verb="approved")
    blocked = client_contact_block_reason(client=email.client)
    if blocked:
        return email_transition(
            email=email,
            to=EmailStatus.SUPPRESSED,
            actor=reviewer,
            note=f"not approved: {blocked}",
        )
    changes: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    if any(value is not None for value in (subject, preheader, body)):
        values = _edited_values(email, subject=subject, preheader=preheader, body=body)
        changes = _edit_changes(email, values)
        fields = {name: values[name] for name in changes}
    now = timezone.now()
    send_after = send_time_choose(client=email.client, now=now)
    return email_transition(
        email=email,
        to=EmailStatus.APPROVED,
        actor=reviewer,
        note="approved with edits" if changes else "approved",
        changes=changes,
        on_commit=partial(email_dispatch_if_due, email_id=email.pk),
        reviewer=reviewer,
        reviewed_at=now,
        edited=bool(changes),
        send_after=send_after,
        dispatched_at=None,
        **fields,
    )


def email_reject(
    *, email: ReengagementEmail, reviewer: User, reason: str
) -> ReengagementEmail:
    """Reject a pending draft; the reason is kept for the stylist and the trail."""
    _require(user_can_review(reviewer), user=reviewer, email=email)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused("Give a reason for rejecting the draft.")
    _require_pending(email, verb="rejected")
    return _rejection_record(email=email, reviewer=reviewer, reason=reason)


def _rejection_record(
    *, email: ReengagementEmail, reviewer: User, reason: str
) -> ReengagementEmail:
    """Move a pending draft to rejected, the reason in its trail and on the email."""
    return email_transition(
        email=email,
        to=EmailStatus.REJECTED,
        actor=reviewer,
        note=reason,
        reviewer=reviewer,
        reviewed_at=timezone.now(),
        rejection_reason=reason,
    )


def email_regenerable(email: ReengagementEmail) -> bool:
    """Return whether a draft may be regenerated: pending review, or never written.

    A draft the model could not write (failed before anyone reviewed it) may be
    tried again; an email that failed in sending was approved, and is no draft.
    """
    return email.status == EmailStatus.PENDING_REVIEW or (
        email.status == EmailStatus.FAILED and email.reviewed_at is None
    )


def email_regenerate(*, email: ReengagementEmail, reviewer: User) -> ReengagementEmail:
    """Replace a draft with a new one from the model; return the new email.

    1. A pending draft is rejected with a note (a failed one stays failed) and
       the new email, queued and linked to it, is created in one transaction,
       so the client never has two open emails.
    2. On commit its drafting is published (``draft_enqueue``). With the broker
       down it stays queued, marked, for ``generate_drafts`` to publish again.
    3. The task drafts it: to pending review, or to failed when the model cannot
       be had (at once in eager mode, after Celery's retries with a worker).

    Asking again returns the same new email (its idempotency key is derived from
    the old one), and publishes it again if its publish had failed.
    """
    from emails.services.drafting import DRAFT_NOT_QUEUED, draft_enqueue

    _require(user_can_review(reviewer), user=reviewer, email=email)
    key = f"regenerate:{email.pk}"
    existing = ReengagementEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.status == EmailStatus.QUEUED and existing.error == DRAFT_NOT_QUEUED:
            transaction.on_commit(partial(draft_enqueue, email_id=existing.pk))
            existing.refresh_from_db()
        return existing
    if not email_regenerable(email):
        raise IllegalTransition(
            f"Email #{email.pk} is {email.get_status_display().lower()}; only a "
            "draft pending review can be regenerated, or one the model could "
            "not write."
        )
    try:
        with transaction.atomic():
            if email.status == EmailStatus.PENDING_REVIEW:
                _rejection_record(
                    email=email, reviewer=reviewer, reason=REGENERATED_NOTE
                )
            new = ReengagementEmail.objects.create(
                client_id=email.client_id,
                snapshot_id=email.snapshot_id,
                regenerated_from=email,
                idempotency_key=key,
                prompt_version=email.prompt_version,  # the variant stays
            )
            transaction.on_commit(partial(draft_enqueue, email_id=new.pk))
    except (IllegalTransition, IntegrityError):
        # A concurrent request regenerated it first: hand back its new draft.
        existing = ReengagementEmail.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        open_email = ReengagementEmail.objects.filter(
            client_id=email.client_id, status__in=OPEN_STATUSES
        ).first()
        if open_email is None:
            raise
        # A failed draft's client may have had a new email since.
        raise ReviewRefused(
            f"Email #{open_email.pk} to this client is "
            f"{open_email.get_status_display().lower()}; act on that one instead."
        ) from None
    return new


def email_comment_add(
    *, email: ReengagementEmail, author: User, body: str
) -> EmailComment:
    """Add a note to a draft, e.g. the stylist's word to the reviewer."""
    _require(user_can_comment(author), user=author, email=email)
    body = (body or "").strip()
    if not body:
        raise ReviewRefused("A comment cannot be empty.")
    return EmailComment.objects.create(email=email, author=author, body=body)
