"""Receivers of django-ses's SNS event signals: hard bounces and complaints."""

from __future__ import annotations

from django_ses.signals import bounce_received, complaint_received

from emails.models import Suppression
from emails.services.unsubscribe import address_suppress


def ses_bounce_received(sender, mail_obj: dict, bounce_obj: dict, **kwargs) -> None:
    """Suppress every recipient of a permanent (hard) bounce."""
    if bounce_obj.get("bounceType") != "Permanent":
        return
    for recipient in bounce_obj.get("bouncedRecipients", []):
        address_suppress(
            email=recipient["emailAddress"],
            reason=Suppression.Reason.HARD_BOUNCE,
            detail=f"SES {bounce_obj.get('bounceSubType', '')} bounce, "
            f"message {mail_obj.get('messageId', '')}",
        )


def ses_complaint_received(
    sender, mail_obj: dict, complaint_obj: dict, **kwargs
) -> None:
    """Suppress every recipient who marked an email as spam."""
    for recipient in complaint_obj.get("complainedRecipients", []):
        address_suppress(
            email=recipient["emailAddress"],
            reason=Suppression.Reason.COMPLAINT,
            detail=f"SES complaint {complaint_obj.get('complaintFeedbackType', '')}, "
            f"message {mail_obj.get('messageId', '')}",
        )


def connect() -> None:
    """Connect the receivers; called from ``EmailsConfig.ready()``."""
    bounce_received.connect(ses_bounce_received, dispatch_uid="emails.ses_bounce")
    complaint_received.connect(
        ses_complaint_received, dispatch_uid="emails.ses_complaint"
    )
