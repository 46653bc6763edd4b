"""Opting out: signed unsubscribe links, and suppressing addresses and open emails."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Client
from emails.models import OPEN_STATUSES, EmailStatus, ReengagementEmail, Suppression
from emails.services.transitions import TRANSITIONS, IllegalTransition, email_transition

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "emails.unsubscribe"
#: A token is ~30 characters ("<id>:<timestamp>:<signature>"); anything much
#: longer is refused before any signing work is spent on it.
MAX_TOKEN_CHARS = 100
#: CAN-SPAM: an opt-out mechanism must work for at least 30 days after sending.
MIN_TOKEN_MAX_AGE_DAYS = 30


class UnsubscribeLinkInvalid(Exception):  # noqa: N818 - reads as a verdict
    """Raised for an unsubscribe token that is tampered with, expired or unknown."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_make(*, client_id: int) -> str:
    """Return a signed, timestamped token naming the client; safe in a URL path."""
    return _signer().sign(str(client_id))


def unsubscribe_url_build(*, client_id: int) -> str:
    """Return the absolute one-click unsubscribe URL for a client's emails."""
    token = unsubscribe_token_make(client_id=client_id)
    path = reverse("emails:unsubscribe", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token_client(*, token: str) -> Client:
    """Return the client a token names, or raise ``UnsubscribeLinkInvalid``.

    Garbage, a changed character, an expired token and a deleted client all
    raise the same exception, so the page never tells whether a client exists.
    """
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise UnsubscribeLinkInvalid("The token is not one we issue.")
    max_age = dt.timedelta(days=settings.UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS)
    try:
        client_id = int(_signer().unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError) as exc:
        # SignatureExpired is a BadSignature too.
        raise UnsubscribeLinkInvalid(str(exc)) from exc
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        raise UnsubscribeLinkInvalid("The client no longer exists.")
    return client


def client_open_emails_suppress(
    *, client: Client, note: str
) -> list[ReengagementEmail]:
    """Move the client's emails that are still open to ``suppressed``.

    An email already in ``sending`` is past the point of no return and is left
    alone; one moved concurrently by someone else is skipped.
    """
    suppressed = []
    for email in ReengagementEmail.objects.filter(
        client=client, status__in=OPEN_STATUSES
    ):
        if EmailStatus.SUPPRESSED not in TRANSITIONS[email.status]:
            continue
        try:
            suppressed.append(
                email_transition(email=email, to=EmailStatus.SUPPRESSED, note=note)
            )
        except IllegalTransition:
            logger.info("Email %s moved while being suppressed", email.pk)
    return suppressed


def address_suppress(*, email: str, reason: str, detail: str = "") -> Suppression:
    """Put an address on the suppression list (once, case-insensitively).

    Every client with that address also has their open emails suppressed.
    """
    address = email.strip()
    with transaction.atomic():
        suppression, _ = Suppression.objects.get_or_create(
            email__iexact=address,
            defaults={"email": address, "reason": reason, "detail": detail},
        )
        for client in Client.objects.filter(email__iexact=address):
            client_open_emails_suppress(client=client, note=f"Address {reason}.")
    return suppression


def client_unsubscribe(*, client: Client, source: str = "link") -> Client:
    """Record the client's opt-out; calling it again changes nothing.

    Consent is withdrawn, the address is suppressed and any open email of the
    client is suppressed, so even an approved email waiting in the queue is not sent.
    """
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.unsubscribed_at is None or client.marketing_consent:
            client.unsubscribed_at = client.unsubscribed_at or timezone.now()
            client.marketing_consent = False
            client.save(
                update_fields=["unsubscribed_at", "marketing_consent", "updated_at"]
            )
            logger.info("Client %s unsubscribed (%s)", client.pk, source)
        address_suppress(
            email=client.email,
            reason=Suppression.Reason.UNSUBSCRIBE,
            detail=f"Client {client.pk} unsubscribed ({source}).",
        )
        client_open_emails_suppress(client=client, note="Client unsubscribed.")
    return client
