"""Production responses carry the security headers and cookie flags.

The test settings are production's (``DEBUG=false`` in pytest's env), except
SSL redirect, which the test client's plain http would loop on; ``secure=True``
requests stand for API Gateway's https.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.customers.factories import PASSWORD, ManagerFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_every_response_has_the_security_headers(client):
    """HSTS, CSP, no framing, no sniffing, a same-origin referrer and opener."""
    assert settings.DEBUG is False  # production's settings
    response = client.get("/admin/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]


def test_cookies_are_secure_httponly_and_samesite(client):
    """Session and CSRF cookies: Secure, HttpOnly, SameSite=Lax."""
    page = client.get("/admin/login/", secure=True)
    user = ManagerFactory()
    response = client.post(
        "/admin/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value,
        },
        secure=True,
    )

    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = response.cookies.get(name) or page.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


INLINE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def inline_elements_without_the_nonce(response) -> list[str]:
    """Return the inline <script>/<style> tags that the policy would block."""
    nonce = next(
        (
            source[len("'nonce-") : -1]
            for source in csp(response)["script-src"]
            if source.startswith("'nonce-")
        ),
        None,
    )
    bad = []
    for match in INLINE.finditer(response.content.decode()):
        attributes = match.group(2)
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue
        if nonce is None or f'nonce="{nonce}"' not in attributes:
            bad.append(match.group(0))
    return bad


@pytest.fixture
def periodic_task():
    interval = IntervalSchedule.objects.create(every=1, period="days")
    return PeriodicTask.objects.create(name="t", task="x", interval=interval)


@pytest.mark.parametrize(
    ("path", "who"),
    [
        (lambda: "/admin/login/", None),
        (lambda: "/admin/", "manager"),
        (lambda: reverse("dashboard:index"), "manager"),
        (lambda: "/u/not-a-token/", None),
        (lambda: "/admin/customers/client/", "manager"),
        (lambda: "/admin/customers/client/export/", "manager"),
        (lambda: "/admin/customers/client/import/", "manager"),
        (lambda: "/admin/django_celery_beat/periodictask/add/", "superuser"),
    ],
    ids=[
        "login",
        "index",
        "dashboard",
        "unsubscribe",
        "clients",
        "export",
        "import",
        "periodic-task",
    ],
)
def test_inline_scripts_and_styles_carry_the_nonce(client, path, who, periodic_task):
    """No inline <script> or <style> on our pages lacks the response's nonce."""
    if who == "manager":
        client.force_login(ManagerFactory())
    elif who == "superuser":
        client.force_login(SuperuserFactory())

    response = client.get(path())

    assert response.status_code in (200, 400)
    assert inline_elements_without_the_nonce(response) == []
    assert not re.search(r"\son[a-z]+=", response.content.decode()), "inline handler"
