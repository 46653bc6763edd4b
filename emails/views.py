"""Public views of the emails app: the unsubscribe page (no login)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from emails.services.unsubscribe import (
    UnsubscribeLinkInvalid,
    client_unsubscribe,
    unsubscribe_token_client,
)


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


# Mail providers send the RFC 8058 one-click POST without a CSRF token; the signed
# token in the URL is what authorises the request, and the action is harmless to
# repeat, so CSRF protection is off for this endpoint only.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Show the opt-out confirmation (GET) or record the opt-out (POST)."""
    try:
        client = unsubscribe_token_client(token=token)
    except UnsubscribeLinkInvalid:
        return render(request, "emails/unsubscribe_invalid.html", status=400)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        client_unsubscribe(client=client, source="one-click" if one_click else "link")
        return render(request, "emails/unsubscribe_done.html")
    return render(
        request,
        "emails/unsubscribe.html",
        {"address": _masked(client.email), "already": client.unsubscribed_at},
    )
