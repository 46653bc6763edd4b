"""Who may receive a re-engagement draft, and why not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from customers.models import Client
from emails.models import OPEN_STATUSES, EmailStatus, ReengagementEmail, Suppression

NO_CONSENT = "no marketing consent"
UNSUBSCRIBED = "unsubscribed"
SUPPRESSED = "address suppressed"
FREQUENCY_CAP = "emailed recently"
OPEN_EMAIL = "email already open"


def client_contact_block_reason(*, client: Client) -> str | None:
    """Return why the client must not be contacted at all, or None.

    These are the rules that also stop a draft already under way.
    """
    if not client.marketing_consent:
        return NO_CONSENT
    if client.unsubscribed_at is not None:
        return UNSUBSCRIBED
    if Suppression.objects.filter(email__iexact=client.email.strip()).exists():
        return SUPPRESSED
    return None


def _suppressed() -> Exists:
    return Exists(Suppression.objects.filter(email__iexact=OuterRef("email")))


def client_contact_block_reason_now(*, client_id: int) -> str | None:
    """Re-read consent, unsubscribe and suppression in one query; why not, or None.

    For the check right before a draft goes up for review: the client may have
    unsubscribed or bounced while the model was writing.
    """
    row = (
        Client.objects.filter(pk=client_id)
        .annotate(suppressed=_suppressed())
        .values("marketing_consent", "unsubscribed_at", "suppressed")
        .get()
    )
    if not row["marketing_consent"]:
        return NO_CONSENT
    if row["unsubscribed_at"] is not None:
        return UNSUBSCRIBED
    return SUPPRESSED if row["suppressed"] else None


def client_draft_ineligibility(
    *, client: Client, now: dt.datetime | None = None
) -> str | None:
    """Return why no new draft may be made for the client, or None if one may.

    Consent and unsubscribe come from the row in hand; suppression, the
    frequency cap and an open email from one query.
    """
    if not client.marketing_consent:
        return NO_CONSENT
    if client.unsubscribed_at is not None:
        return UNSUBSCRIBED
    now = now or timezone.now()
    cap_start = now - dt.timedelta(days=settings.REENGAGEMENT_FREQUENCY_CAP_DAYS)
    emails = ReengagementEmail.objects.filter(client=OuterRef("pk"))
    row = (
        Client.objects.filter(pk=client.pk)
        .annotate(
            suppressed=_suppressed(),
            sent_recently=Exists(
                emails.filter(status=EmailStatus.SENT, sent_at__gte=cap_start)
            ),
            open_email=Exists(emails.filter(status__in=OPEN_STATUSES)),
        )
        .values("suppressed", "sent_recently", "open_email")
        .get()
    )
    if row["suppressed"]:
        return SUPPRESSED
    if row["sent_recently"]:
        return FREQUENCY_CAP
    if row["open_email"]:
        return OPEN_EMAIL
    return None
