"""The SNS endpoint for SES bounce and complaint events (``/ses/events/``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from emails.services.ses_events import ses_event_receive
from emails.services.sns_verify import MAX_BODY_BYTES, SnsMessageRefused, SnsUnavailable

_ANSWERS = {400: "Refused.", 413: "Body too large.", 503: "Unavailable, retry."}


# SNS cannot send a CSRF token; the message signature is what authenticates it.
@csrf_exempt
@require_POST
def ses_events(request: HttpRequest) -> HttpResponse:
    """Verify and handle one SNS message; the reason of a refusal is only logged."""
    # One byte over the limit is enough to know the body is too large.
    body = request.read(MAX_BODY_BYTES + 1)
    try:
        ses_event_receive(body=body)
    except (SnsMessageRefused, SnsUnavailable) as exc:
        return HttpResponse(
            _ANSWERS[exc.status], status=exc.status, content_type="text/plain"
        )
    return HttpResponse("OK", content_type="text/plain")
