"""Marketing consent: who may grant it, who may take it away.

Consent is the client's to give. Staff may record a new client's consent and
may withdraw it, but may never switch it back on for an existing client who
has not consented or who unsubscribed: a spreadsheet or a form tick is not the
client opting in again (and re-mailing someone who unsubscribed is what the
law forbids). The admin form and the CSV import both ask this one function.
"""

from __future__ import annotations

from django.utils import timezone

from customers.models import Client


def consent_regrant_error(*, client: Client, wanted: bool) -> str | None:
    """Return why staff may not set ``client``'s consent to ``wanted``, or None.

    ``client`` must hold the stored state (before the change is applied): a
    client not yet saved may be created with consent.
    """
    if not wanted or client.pk is None:
        return None
    if client.unsubscribed_at is not None:
        day = timezone.localdate(client.unsubscribed_at).isoformat()
        return f"the client unsubscribed on {day}; only the client can opt in again"
    if not client.marketing_consent:
        return "the client has not opted in to marketing; only the client can opt in"
    return None
