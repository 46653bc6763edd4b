"""Receivers of django-ses's SNS event signals: hard bounces and complaints."""

from __future__ import annotations

from django_ses.signals import bounce_received, complaint_received

from emails.models import Suppression
from emails.services.unsubscribe import address_suppress


def ses_bounce_received(sender, mail_obj: dict, bounce_obj: dict, **kwargs) -> None:
    """Suppress every recipient of a permanent (hard) bounce."""
    if bounce_obj.get("bounceType") != "Permanent":
        return
    what = f"{bounce_obj.get('bounceSubType', '')} bounce"
    recipients = bounce_obj.get("bouncedRecipients", [])
    _recipients_suppress(mail_obj, recipients, Suppression.Reason.HARD_BOUNCE, what)


def ses_complaint_received(
    sender, mail_obj: dict, complaint_obj: dict, **kwargs
) -> None:
    """Suppress every recipient who marked an email as spam."""
    what = f"complaint {complaint_obj.get('complaintFeedbackType', '')}"
    recipients = complaint_obj.get("complainedRecipients", [])
    _recipients_suppress(mail_obj, recipients, Suppression.Reason.COMPLAINT, what)


def _recipients_suppress(
    mail_obj: dict, recipients: list[dict], reason: Suppression.Reason, what: str
) -> None:
    """Suppress each address an SES event lists, noting the event and the mail."""
    detail = f"SES {what}, message {mail_obj.get('messageId', '')}"
    for recipient in recipients:
        address_suppress(email=recipient["emailAddress"], reason=reason, detail=detail)


def connect() -> None:
    """Connect the receivers; called from ``EmailsConfig.ready()``."""
    bounce_received.connect(ses_bounce_received, dispatch_uid="emails.ses_bounce")
    complaint_received.connect(
        ses_complaint_received, dispatch_uid="emails.ses_complaint"
    )
