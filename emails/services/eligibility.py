"""Who may receive a re-engagement draft, and why not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
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


def client_draft_ineligibility(
    *, client: Client, now: dt.datetime | None = None
) -> str | None:
    """Return why no new draft may be made for the client, or None if one may."""
    reason = client_contact_block_reason(client=client)
    if reason:
        return reason
    now = now or timezone.now()
    cap_start = now - dt.timedelta(days=settings.REENGAGEMENT_FREQUENCY_CAP_DAYS)
    statuses = set(
        ReengagementEmail.objects.filter(client=client)
        .filter(
            Q(status=EmailStatus.SENT, sent_at__gte=cap_start)
            | Q(status__in=OPEN_STATUSES)
        )
        .values_list("status", flat=True)[:2]
    )
    if EmailStatus.SENT in statuses:
        return FREQUENCY_CAP
    if statuses:
        return OPEN_EMAIL
    return None
