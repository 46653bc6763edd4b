"""System checks of the emails app's production settings."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

_TOPIC_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:[0-9]{12}:[\w-]{1,256}"
)


# Not deploy-only: every manage.py command (migrate on deploy included) runs it,
# so a production without a trusted topic stops before serving /ses/events/.
@register(Tags.security)
def sns_events_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Refuse a production that would accept SNS events from no topic or any."""
    if settings.DEBUG:
        return []
    messages: list[CheckMessage] = []
    topics = settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS
    if not settings.AWS_SES_VERIFY_EVENT_SIGNATURES:
        messages.append(
            Warning(
                "SNS signature verification is off while DEBUG is off: anyone "
                "can post a bounce to /ses/events/ and suppress any address.",
                hint="Unset AWS_SES_VERIFY_EVENT_SIGNATURES (it defaults to true).",
                id="emails.W001",
            )
        )
    elif not topics:
        messages.append(
            Error(
                "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS is empty: /ses/events/ would "
                "refuse every SES bounce and complaint.",
                hint="Set AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS to the ARN of the SNS "
                "topic your SES configuration set publishes to, e.g. "
                "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events.",
                id="emails.E001",
            )
        )
    messages.extend(
        Error(
            f"{topic!r} in AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS is not an SNS topic ARN.",
            hint="Copy it from the SNS console: arn:aws:sns:<region>:<account>:<name>.",
            id="emails.E002",
        )
        for topic in topics
        if not _TOPIC_ARN.fullmatch(topic)
    )
    return messages


@register()
def unsubscribe_link_age_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Refuse unsubscribe links that expire sooner than CAN-SPAM's 30 days."""
    from emails.services.unsubscribe import MIN_TOKEN_MAX_AGE_DAYS

    days = settings.UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS
    if days >= MIN_TOKEN_MAX_AGE_DAYS:
        return []
    return [
        Error(
            f"UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS is {days}: an unsubscribe link must "
            f"keep working for at least {MIN_TOKEN_MAX_AGE_DAYS} days after the "
            "email is sent (CAN-SPAM).",
            hint="Unset it (365 days) or set it to 30 or more.",
            id="emails.E003",
        )
    ]
