"""Sending an approved email exactly once through the configured email backend.

The flow is claim, send, record:

1. In a short transaction, lock the email and move it ``approved -> sending``; an
   email in any other status (a redelivered task, a second click) is left alone.
   The contact rules are checked again here, so a client who opted out after
   approval is suppressed instead of emailed.
2. Send outside any transaction (never hold a row lock across a network call).
3. Record the outcome: ``sent`` with the provider's message id, back to
   ``approved`` for a retry when the provider throttles, ``failed`` when it
   rejects the message for good.

A worker that dies between 1 and 3 leaves the email in ``sending``; nothing sends
it again automatically, because SES may already have accepted it. Such emails are
listed by ``emails_stuck_in_sending`` for a human to check.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from decimal import Decimal
from enum import StrEnum

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from emails.models import EmailStatus, ReengagementEmail
from emails.services.eligibility import client_contact_block_reason
from emails.services.rendering import email_html_render
from emails.services.transitions import email_transition
from emails.services.unsubscribe import unsubscribe_url_build

logger = logging.getLogger(__name__)

S = EmailStatus

EMAIL_ID_HEADER = "X-StitchEngage-Email-Id"
# SES error codes after which the same message may be sent again later.
SES_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "MaxSendingRateExceeded",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalFailure",
    }
)
STUCK_IN_SENDING_AFTER = dt.timedelta(minutes=15)


class SendDeferred(Exception):  # noqa: N818 - reads as a verdict
    """Raised after a transient provider error put the email back to ``approved``."""

    def __init__(self, email: ReengagementEmail, reason: str) -> None:
        super().__init__(reason)
        self.email = email
        self.reason = reason


class SendVerdict(StrEnum):
    RETRY = "retry"  # certainly not accepted; may be accepted later
    FAILED = "failed"  # certainly not accepted, and never will be
    UNKNOWN = "unknown"  # may have been accepted: never send again automatically


def send_error_verdict(*, error: Exception) -> tuple[SendVerdict, str]:
    """Classify an exception raised while sending; return the verdict and reason.

    Only errors that prove the provider refused the message are retried or
    failed. Anything else (a timeout after the request went out, a bug after SES
    answered) may follow an accepted message, so the email stays in ``sending``.
    """
    name = type(error).__name__
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        verdict = (
            SendVerdict.RETRY if code in SES_TRANSIENT_CODES else SendVerdict.FAILED
        )
        return verdict, f"SES {code}: {message}".strip()
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return SendVerdict.RETRY, f"SES unreachable: {name}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted(code for code, _ in error.recipients.values())
        transient = bool(codes) and all(400 <= code < 500 for code in codes)
        verdict = SendVerdict.RETRY if transient else SendVerdict.FAILED
        return verdict, f"SMTP recipients refused: {codes}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SendVerdict.UNKNOWN, f"Outcome unknown: {name}"
    if isinstance(error, smtplib.SMTPResponseException):
        transient = 400 <= error.smtp_code < 500
        verdict = SendVerdict.RETRY if transient else SendVerdict.FAILED
        return verdict, f"SMTP {error.smtp_code}"
    if isinstance(error, smtplib.SMTPConnectError | ConnectionRefusedError):
        return SendVerdict.RETRY, f"SMTP unreachable: {name}"
    if isinstance(error, BadHeaderError) or (
        isinstance(error, ValueError) and "address" in str(error).lower()
    ):
        # Django refuses an invalid recipient address before anything is sent.
        return SendVerdict.FAILED, f"Invalid address: {error}"
    return SendVerdict.UNKNOWN, f"Outcome unknown: {name}"


def email_message_build(*, email: ReengagementEmail) -> EmailMultiAlternatives:
    """Return the message for ``email``: text and HTML, with RFC 8058 headers."""
    unsubscribe_url = unsubscribe_url_build(client_id=email.client_id)
    list_unsubscribe = f"<{unsubscribe_url}>"
    if settings.UNSUBSCRIBE_MAILTO:
        list_unsubscribe += (
            f", <mailto:{settings.UNSUBSCRIBE_MAILTO}?subject=unsubscribe>"
        )
    headers = {
        "List-Unsubscribe": list_unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        EMAIL_ID_HEADER: str(email.pk),
    }
    if settings.SES_MESSAGE_TAGS:
        # SES reads message tags from this header of a raw message.
        headers["X-SES-MESSAGE-TAGS"] = ", ".join(
            f"{name}={value}" for name, value in settings.SES_MESSAGE_TAGS.items()
        )
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.client.email],
        headers=headers,
    )
    message.attach_alternative(
        email_html_render(email=email, unsubscribe_url=unsubscribe_url), "text/html"
    )
    return message


def _claim(*, email_id: int) -> tuple[ReengagementEmail | None, bool]:
    """Lock and claim the email; return it and whether this caller may send it."""
    with transaction.atomic():
        email = (
            ReengagementEmail.objects.select_for_update(of=("self",))
            .select_related("client")
            .filter(pk=email_id)
            .first()
        )
        if email is None:
            return None, False
        if email.status != S.APPROVED:
            logger.info("Email %s is %s: not sent", email.pk, email.status)
            return email, False
        reason = client_contact_block_reason(client=email.client)
        if reason:
            email_transition(
                email=email, to=S.SUPPRESSED, note=f"Not sent at send time: {reason}."
            )
            return email, False
        email_transition(email=email, to=S.SENDING, note="Claimed for sending.")
        return email, True


def email_send(*, email_id: int) -> ReengagementEmail | None:
    """Send an approved email at most once and record the outcome.

    Return the email in its new status (or unchanged if it was not approved), or
    None if it no longer exists. Raise ``SendDeferred`` after a transient error.
    """
    email, claimed = _claim(email_id=email_id)
    if not claimed:
        return email
    message = email_message_build(email=email)
    try:
        message.send(fail_silently=False)
    except Exception as error:
        verdict, reason = send_error_verdict(error=error)
        if verdict == SendVerdict.RETRY:
            logger.warning("Send of email %s deferred: %s", email.pk, reason)
            note = f"Send deferred: {reason}"
            email_transition(email=email, to=S.APPROVED, note=note, error=reason)
            raise SendDeferred(email, reason) from error
        if verdict == SendVerdict.FAILED:
            logger.warning("Send of email %s failed: %s", email.pk, reason)
            note = f"Send failed: {reason}"
            return email_transition(email=email, to=S.FAILED, note=note, error=reason)
        # Maybe sent: stay in `sending` for a human rather than risk a duplicate.
        logger.exception("Send of email %s: %s", email.pk, reason)
        ReengagementEmail.objects.filter(pk=email.pk).update(error=reason)
        email.error = reason
        return email
    # django-ses stores the SES MessageId in extra_headers["message_id"]; backends
    # without one (file, locmem) get a local id so every sent email has one.
    message_id = message.extra_headers.get("message_id") or f"local-{uuid.uuid4()}"
    return email_transition(
        email=email,
        to=S.SENT,
        note="Sent.",
        provider_message_id=message_id,
        sent_at=timezone.now(),
        send_cost_usd=Decimal(settings.SES_COST_PER_EMAIL_USD),
        error="",
    )


def emails_stuck_in_sending(
    *, older_than: dt.timedelta = STUCK_IN_SENDING_AFTER
) -> QuerySet[ReengagementEmail]:
    """Return emails left in ``sending`` (a worker died mid-send) for a human.

    They are never resent automatically: SES may have accepted the message.
    """
    return ReengagementEmail.objects.filter(
        status=S.SENDING, updated_at__lt=timezone.now() - older_than
    ).order_by("updated_at")
