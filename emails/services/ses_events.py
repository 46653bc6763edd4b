"""SES bounce and complaint events arriving from SNS at ``/ses/events/``."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from django.conf import settings
from django_ses.signals import bounce_received, complaint_received

from emails.services.sns_verify import (
    DOWNLOAD_TIMEOUT,
    NOTIFICATION,
    SUBSCRIPTION_CONFIRMATION,
    SnsMessage,
    SnsMessageRefused,
    SnsUnavailable,
    sns_message_parse,
    sns_signature_verify,
    sns_subscribe_url_trusted,
    sns_topic_trusted,
)

logger = logging.getLogger(__name__)

# SES event type -> (django-ses signal, key of the event object, its recipients).
SES_EVENTS = {
    "Bounce": (bounce_received, "bounce", "bouncedRecipients"),
    "Complaint": (complaint_received, "complaint", "complainedRecipients"),
}


def _short(value: str, limit: int = 200) -> str:
    """Clip an attacker-supplied string before it goes into a log line."""
    return value if len(value) <= limit else value[:limit] + "..."


def ses_event_receive(*, body: bytes) -> str:
    """Handle one SNS POST; return what was done, or raise a refusal.

    1. Parse the envelope and type-check every field (``sns_message_parse``):
       a malformed body is a ``SnsMessageRefused`` (400/413), never a 500.
    2. Refuse a TopicArn not in ``AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS``, before
       any certificate is downloaded for it.
    3. Verify the signature (v1 SHA1 or v2 SHA256) with the SNS certificate,
       unless ``AWS_SES_VERIFY_EVENT_SIGNATURES`` is off.
    4. By Type: confirm a subscription (GET its SubscribeURL), log an
       unsubscribe confirmation, or hand a Bounce/Complaint to django-ses's
       signals, which ``emails.receivers_ses`` turns into Suppression rows.

    Refusals are logged with the topic, message id and reason only.
    """
    verify = settings.AWS_SES_VERIFY_EVENT_SIGNATURES
    try:
        message = sns_message_parse(body=body, signed=verify)
    except SnsMessageRefused as exc:
        _refusal_log(exc, topic=exc.topic, message_id=exc.message_id)
        raise
    try:
        if not sns_topic_trusted(topic_arn=message.topic_arn):
            raise SnsMessageRefused("untrusted topic")
        if verify:
            sns_signature_verify(message=message)
        if message.type == NOTIFICATION:
            return ses_event_dispatch(message=message, raw_body=body)
        if message.type == SUBSCRIPTION_CONFIRMATION:
            return sns_subscription_confirm(message=message, verified=verify)
    except (SnsMessageRefused, SnsUnavailable) as exc:
        _refusal_log(exc, topic=message.topic_arn, message_id=message.message_id)
        raise
    logger.info(
        "SNS unsubscribe confirmation for topic %r (message %r)",
        message.topic_arn,
        message.message_id,
    )
    return "unsubscribe acknowledged"


def _refusal_log(exc: Exception, *, topic: str, message_id: str) -> None:
    logger.warning(
        "SNS message %s: %s (topic %r, message %r)",
        "refused" if isinstance(exc, SnsMessageRefused) else "not handled, retry",
        exc,
        _short(topic),
        _short(message_id),
    )


def sns_subscription_confirm(*, message: SnsMessage, verified: bool) -> str:
    """Confirm a verified subscription to a trusted topic by opening its URL."""
    if not verified:
        raise SnsMessageRefused("subscriptions are confirmed only when verified")
    url = message.subscribe_url or ""
    if not sns_subscribe_url_trusted(url=url, topic_arn=message.topic_arn):
        raise SnsMessageRefused("untrusted SubscribeURL")
    sns_subscription_confirm_request(url=url)
    logger.info(
        "SNS subscription confirmed for topic %r (message %r)",
        message.topic_arn,
        message.message_id,
    )
    return "subscription confirmed"


def sns_subscription_confirm_request(*, url: str) -> None:
    """GET the SubscribeURL: the one outbound call of a confirmation."""
    try:
        response = requests.get(url, timeout=DOWNLOAD_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        raise SnsUnavailable(f"confirmation failed ({type(exc).__name__})") from exc
    if response.status_code != 200:
        # 503 to SNS: its delivery policy retries, and the token stays valid
        # for three days.
        raise SnsUnavailable(f"confirmation answered {response.status_code}")


def ses_event_dispatch(*, message: SnsMessage, raw_body: bytes) -> str:
    """Send django-ses's signal for a Bounce or Complaint; ignore other events.

    Both SES formats arrive here: event publishing from a configuration set
    (``eventType``) and identity feedback notifications (``notificationType``);
    their bounce and complaint objects are the same.
    """
    try:
        event = json.loads(message.message)
    except (ValueError, RecursionError):
        # SES's "Successfully validated SNS topic" test message is plain text.
        event = None
    if not isinstance(event, dict):
        logger.info(
            "SNS notification %r on %r is not an SES event; ignored",
            message.message_id,
            message.topic_arn,
        )
        return "ignored"
    # django-ses's precedence: eventType, then notificationType.
    event_type = event.get("eventType", event.get("notificationType"))
    if event_type not in SES_EVENTS:
        logger.info(
            "SES event %r in message %r ignored",
            event_type if isinstance(event_type, str) else type(event_type).__name__,
            message.message_id,
        )
        return "ignored"
    signal, key, recipients_key = SES_EVENTS[event_type]
    mail_obj, event_obj = event.get("mail"), event.get(key)
    problem = _ses_event_problem(mail_obj, event_obj, key, recipients_key)
    if problem:
        raise SnsMessageRefused(f"SES {event_type} event: {problem}")
    logger.info(
        "SES %s for %d recipient(s), message %r, topic %r",
        event_type,
        len(event_obj[recipients_key]),
        message.message_id,
        message.topic_arn,
    )
    signal.send(
        sender=ses_event_dispatch,
        mail_obj=mail_obj,
        raw_message=raw_body,
        **{f"{key}_obj": event_obj},
    )
    return f"{key} handled"


def _ses_event_problem(
    mail_obj: Any, event_obj: Any, key: str, recipients_key: str
) -> str | None:
    """Name the first field a receiver would trip on (None: well formed).

    The receivers read these fields; checking them here means a receiver never
    raises on a bad type, and the refusal says which field is wrong.
    """
    if not isinstance(mail_obj, dict):
        return "mail is missing or not an object"
    if not isinstance(mail_obj.get("messageId", ""), str):
        return "mail.messageId is not a string"
    if not isinstance(event_obj, dict):
        return f"{key} is missing or not an object"
    recipients = event_obj.get(recipients_key)
    if not isinstance(recipients, list):
        return f"{key}.{recipients_key} is missing or not a list"
    for index, recipient in enumerate(recipients):
        address = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        if not isinstance(address, str) or not address.strip():
            return (
                f"{key}.{recipients_key}[{index}].emailAddress is missing or "
                "not a string"
            )
    for field in ("bounceType", "bounceSubType", "complaintFeedbackType"):
        if not isinstance(event_obj.get(field, ""), str):
            return f"{key}.{field} is not a string"
    return None
