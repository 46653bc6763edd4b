"""Login throttling and lockout (django-axes), through the admin's real login form.

AXES_FAILURE_LIMIT (5) wrong passwords for one username from one address lock
that pair out for AXES_COOLOFF_TIME (15 minutes); the right password is refused
meanwhile, a Manager can unlock, and every failure is logged without the password.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory

from stitchengage.client_ip import client_ip_address
from tests.customers.factories import PASSWORD, ManagerFactory, StylistFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ATTACKER = "203.0.113.66"
WRONG = "wrong-password-Zq8x"


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True


def login(client, username: str, password: str, ip: str = ATTACKER):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def test_sixty_wrong_passwords_lock_the_login_until_the_cool_off(
    client, settings, caplog
):
    """After 60 failures the right password is refused; after 15 minutes, not."""
    caplog.set_level(logging.DEBUG)
    user = StylistFactory()

    codes = [login(client, user.username, WRONG).status_code for _ in range(60)]

    # Four wrong answers show the form again; from the fifth on: locked.
    assert codes[:4] == [200] * 4
    assert set(codes[4:]) == {429}
    refused = login(client, user.username, PASSWORD)
    assert refused.status_code == 429
    assert not logged_in(client)
    page = refused.content.decode()
    assert "Login locked" in page
    assert "for 15 minutes" in page
    assert "ask a manager" in page.lower()

    # Failures are logged with the username and the address, never a password.
    failures = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert any(
        "login failure" in m and user.username in m and ATTACKER in m for m in failures
    )
    assert any("Locking out" in m for m in failures)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert WRONG not in everything
    assert PASSWORD not in everything
    assert WRONG not in AccessAttempt.objects.get().post_data

    # Time travel: the last failure was 16 minutes ago.
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    )
    allowed = login(client, user.username, PASSWORD)
    assert allowed.status_code == 302
    assert logged_in(client)


def test_a_lockout_holds_one_username_from_one_address_only(client):
    """The attacker's address cannot lock the user out elsewhere."""
    user = StylistFactory()
    other = StylistFactory()
    for _ in range(5):
        login(client, user.username, WRONG)
    assert login(client, user.username, PASSWORD).status_code == 429

    assert login(client, user.username, PASSWORD, ip="198.51.100.9").status_code == 302
    client.logout()
    assert login(client, other.username, PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client):
    """Four wrong passwords, then the right one: the count starts again."""
    user = StylistFactory()
    for _ in range(4):
        login(client, user.username, WRONG)
    assert login(client, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, user.username, WRONG).status_code == 200


def test_a_manager_unlocks_a_login_from_the_admin(client):
    """Axes > Access attempts lists the lockout; "Unlock" lets the user in."""
    user = StylistFactory()
    for _ in range(5):
        login(client, user.username, WRONG)
    manager = ManagerFactory()
    client.force_login(manager)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert user.username in listing.content.decode()
    attempt = AccessAttempt.objects.get()

    response = client.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert login(client, user.username, PASSWORD).status_code == 302


def test_stylists_cannot_see_or_unlock_lockouts(client):
    """The lockout screen is a Manager's."""
    client.force_login(StylistFactory())
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def _lambda_request(source_ip: str, forwarded: str, *, v2: bool = False):
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=forwarded.split(",")[-2]
    )
    context = (
        {"http": {"sourceIp": source_ip}}
        if v2
        else {"identity": {"sourceIp": source_ip}}
    )
    request.META["lambda.event"] = {"requestContext": context}
    return request


@pytest.mark.parametrize("v2", [False, True])
def test_behind_api_gateway_the_address_is_api_gateways_not_a_header(v2):
    """A forged X-Forwarded-For changes nothing: API Gateway's sourceIp counts.

    On a regional REST endpoint API Gateway appends the caller to the header the
    caller sent, so Zappa's REMOTE_ADDR (the entry before the last) is forged.
    """
    request = _lambda_request("198.51.100.20", "10.9.9.9, 198.51.100.20", v2=v2)
    assert request.META["REMOTE_ADDR"] == "10.9.9.9"

    assert client_ip_address(request) == "198.51.100.20"


def test_off_lambda_the_address_is_the_peer_or_the_trusted_proxies_entry(settings):
    """REMOTE_ADDR, unless our own proxies append to X-Forwarded-For."""
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.20", REMOTE_ADDR="10.0.0.2"
    )
    assert client_ip_address(request) == "10.0.0.2"

    settings.CLIENT_IP_TRUSTED_PROXIES = 1
    assert client_ip_address(request) == "198.51.100.20"
    settings.CLIENT_IP_TRUSTED_PROXIES = 3  # fewer entries than proxies: the peer
    assert client_ip_address(request) == "10.0.0.2"
