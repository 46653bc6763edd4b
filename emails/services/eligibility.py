"""Who may receive a re-engagement draft, and why not."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower, Trim

from customers.models import Client
from emails.models import Suppression

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


# The contact rules (``client_contact_block_reason``) as a condition on an email
# row, for ``email_transition(guard=...)``: the move and the check are one
# statement, so an unsubscribe or bounce committed a moment earlier is seen.
EMAIL_CLIENT_CONTACTABLE = Exists(
    Client.objects.filter(
        pk=OuterRef("client_id"), marketing_consent=True, unsubscribed_at__isnull=True
    ).exclude(address_suppressed("email"))
)


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
