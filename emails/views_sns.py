"""The SNS endpoint for SES bounce and complaint events (``/ses/events/``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from emails.services.ses_events import ses_event_receive
from emails.services.sns_verify import (
    SnsBodyTooLarge,
    SnsMessageRefused,
    SnsUnavailable,
    sns_body_limit,
)


# SNS cannot send a CSRF token; the message signature is what authenticates it.
@csrf_exempt
@require_POST
def ses_events(request: HttpRequest) -> HttpResponse:
    """Verify and handle one SNS message; a refusal names its reason.

    The reasons are fixed words naming a field ("TopicArn is missing or not a
    string"), never a value from the body, and tell a forger nothing AWS's
    documentation does not.
    """
    limit = sns_body_limit()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        if declared > limit:
            # Refused before a byte of the body is read.
            raise SnsBodyTooLarge(f"body over {limit} bytes")
        # One byte over the limit is enough to know the body is too large.
        ses_event_receive(body=request.read(limit + 1))
    except SnsUnavailable as exc:
        return _answer(f"Unavailable, retry: {exc}.", exc.status)
    except SnsMessageRefused as exc:
        return _answer(f"Refused: {exc.reason}.", exc.status)
    return _answer("OK", 200)


def _answer(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")
