"""The client's IP address, as login throttling (django-axes) counts it.

Behind API Gateway every request reaches Django through Zappa's Lambda handler,
and headers are not to be trusted for this: a client sends any X-Forwarded-For
it likes, and API Gateway appends to it. Zappa's ``REMOTE_ADDR`` is the entry
before the last of that header, which is the client on an edge-optimized
endpoint (CloudFront appends its own address) but the client's own invention on
a regional one. The address API Gateway itself took from the TCP connection is
in the event's request context (``identity.sourceIp`` for a REST API,
``http.sourceIp`` for an HTTP API or a function URL), which Zappa passes on as
``environ["lambda.event"]``; nothing a client sends can change it.

Off Lambda (runserver, tests, a container) ``REMOTE_ADDR`` is the peer, unless
``CLIENT_IP_TRUSTED_PROXIES`` says how many proxies of ours append to
X-Forwarded-For: then the address the outermost of them saw is that many
entries from the right, and whatever a client put to its left is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: object) -> str | None:
    if not isinstance(address, str):
        return None
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _lambda_source_ip(request: HttpRequest) -> str | None:
    event = request.META.get("lambda.event")
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext") or {}
    for section in ("identity", "http"):
        found = _valid((context.get(section) or {}).get("sourceIp"))
        if found:
            return found
    return None


def client_ip_address(request: HttpRequest) -> str | None:
    """Return the address that sent ``request``, as far as it can be trusted."""
    found = _lambda_source_ip(request)
    if found:
        return found
    proxies = getattr(settings, "CLIENT_IP_TRUSTED_PROXIES", 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            found = _valid(forwarded[-proxies])
            if found:
                return found
    return _valid(request.META.get("REMOTE_ADDR"))
