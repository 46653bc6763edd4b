"""Who may receive a re-engagement draft, and why not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from customers.models import Client
from emails.models import OPEN_STATUSES, EmailStatus, ReengagementEmail, Suppression

NO_CONSENT = "no marketing consent"
UNSUBSCRIBED = "unsubscribed"
SUPPRESSED = "address suppressed"
FREQUENCY_CAP = "emailed recently"
OPEN_EMAIL = "email already open"


def address_suppressed(email_ref: str | OuterRef) -> Exists:
    """Return whether an address is suppressed, matched like the unique index.

    ``Lower`` on both sides (not ``iexact``, which PostgreSQL runs as ``UPPER``)
    so the lookup uses ``suppression_email_ci_unique`` instead of a scan.
    """
    ref = OuterRef(email_ref) if isinstance(email_ref, str) else email_ref
    return Exists(
        Suppression.objects.annotate(email_ci=Lower("email")).filter(
            email_ci=Lower(Trim(ref))
        )
    )


def _email_client_contactable() -> str:
    q = connection.ops.quote_name
    email = q(ReengagementEmail._meta.db_table)
    client = q(Client._meta.db_table)
    suppression = q(Suppression._meta.db_table)
    return f"""EXISTS (
        SELECT 1 FROM {client} c
        WHERE c.id = {email}.client_id
          AND c.marketing_consent AND c.unsubscribed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM {suppression} x
                          WHERE LOWER(x.email) = LOWER(TRIM(c.email))))"""  # noqa: S608


# The contact rules (``client_contact_block_reason``) as an SQL condition on an
# email row, for ``email_transition(guard=...)``: the move and the check are one
# statement, so an unsubscribe or bounce committed a moment earlier is seen.
EMAIL_CLIENT_CONTACTABLE = _email_client_contactable()


def client_contact_block_reason(*, client: Client) -> str | None:
    """Return why the client must not be contacted at all, or None.

    These are the rules that also stop a draft already under way.
    """
    if not client.marketing_consent:
        return NO_CONSENT
    if client.unsubscribed_at is not None:
        return UNSUBSCRIBED
    suppressed = Suppression.objects.annotate(email_ci=Lower("email")).filter(
        email_ci=client.email.strip().lower()
    )
    return SUPPRESSED if suppressed.exists() else None


def client_contact_block_reason_now(*, client_id: int) -> str | None:
    """Re-read consent, unsubscribe and suppression in one query; why not, or None.

    For the check right before a draft goes up for review: the client may have
    unsubscribed or bounced while the model was writing.
    """
    row = (
        Client.objects.filter(pk=client_id)
        .annotate(suppressed=address_suppressed("email"))
        .values("marketing_consent", "unsubscribed_at", "suppressed")
        .get()
    )
    return draft_block_reason(**row)


def draft_block_annotations(
    *, client_ref: str, now: dt.datetime | None = None
) -> dict[str, Exists]:
    """Return the facts ``draft_block_reason`` needs, as annotations of one query.

    ``client_ref`` names the client's id in the outer query ("pk" on clients,
    "client" on snapshots); the client's own email is reached the same way.
    """
    now = now or timezone.now()
    cap_start = now - dt.timedelta(days=settings.REENGAGEMENT_FREQUENCY_CAP_DAYS)
    emails = ReengagementEmail.objects.filter(client=OuterRef(client_ref))
    email_ref = "email" if client_ref == "pk" else f"{client_ref}__email"
    return {
        "suppressed": address_suppressed(email_ref),
        "sent_recently": Exists(
            emails.filter(status=EmailStatus.SENT, sent_at__gte=cap_start)
        ),
        "open_email": Exists(emails.filter(status__in=OPEN_STATUSES)),
    }


def draft_block_reason(
    *,
    marketing_consent: bool,
    unsubscribed_at: dt.datetime | None,
    suppressed: bool,
    sent_recently: bool = False,
    open_email: bool = False,
) -> str | None:
    """Return why the client gets no new draft, from the facts above, or None."""
    if not marketing_consent:
        return NO_CONSENT
    if unsubscribed_at is not None:
        return UNSUBSCRIBED
    if suppressed:
        return SUPPRESSED
    if sent_recently:
        return FREQUENCY_CAP
    if open_email:
        return OPEN_EMAIL
    return None


def client_draft_ineligibility(
    *, client: Client, now: dt.datetime | None = None
) -> str | None:
    """Return why no new draft may be made for the client, or None if one may."""
    row = (
        Client.objects.filter(pk=client.pk)
        .annotate(**draft_block_annotations(client_ref="pk", now=now))
        .values(
            "marketing_consent",
            "unsubscribed_at",
            "suppressed",
            "sent_recently",
            "open_email",
        )
        .get()
    )
    return draft_block_reason(**row)
