"""The public unsubscribe link: signed, expiring, no login, RFC 8058 one-click."""

from __future__ import annotations

import io
import logging
import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client as HttpClient
from django.urls import reverse

from emails.checks import unsubscribe_link_age_check
from emails.models import EmailStatus, ReengagementEmail, Suppression
from emails.services.unsubscribe import (
    UNSUBSCRIBE_SALT,
    UnsubscribeLinkInvalid,
    unsubscribe_token_client,
    unsubscribe_token_make,
)
from tests.customers.factories import ClientFactory
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db


def _url(client_id: int) -> str:
    token = unsubscribe_token_make(client_id=client_id)
    return reverse("emails:unsubscribe", kwargs={"token": token})


def _approved_email(client) -> ReengagementEmail:
    return ReengagementEmailFactory(client=client, status=EmailStatus.APPROVED)


def test_get_shows_confirmation_without_login_and_records_nothing(client):
    """Opening the link (mail scanners do) only shows a page with a button."""
    customer = ClientFactory(email="ann@example.com")
    response = client.get(_url(customer.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "a***@example.com" in page
    assert "ann@example.com" not in page
    customer.refresh_from_db()
    assert customer.unsubscribed_at is None
    assert customer.marketing_consent is True
    assert not Suppression.objects.exists()


def test_post_records_the_opt_out_and_suppresses_open_emails(client):
    """The button withdraws consent, suppresses the address and the open email."""
    customer = ClientFactory(email="Ann@Example.com")
    email = _approved_email(customer)
    response = client.post(_url(customer.pk))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    customer.refresh_from_db()
    assert customer.unsubscribed_at is not None
    assert customer.marketing_consent is False
    (suppression,) = Suppression.objects.all()
    assert suppression.email.lower() == "ann@example.com"
    assert suppression.reason == Suppression.Reason.UNSUBSCRIBE
    email.refresh_from_db()
    assert email.status == EmailStatus.SUPPRESSED


def test_one_click_post_from_a_mail_provider_needs_no_csrf_token():
    """RFC 8058: the provider POSTs List-Unsubscribe=One-Click with no CSRF token."""
    customer = ClientFactory()
    browser = HttpClient(enforce_csrf_checks=True)
    response = browser.post(
        _url(customer.pk),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.unsubscribed_at is not None


def test_unsubscribing_twice_changes_nothing(client):
    """A second POST keeps the first opt-out time and one suppression row."""
    customer = ClientFactory()
    url = _url(customer.pk)
    client.post(url)
    customer.refresh_from_db()
    first = customer.unsubscribed_at
    assert client.post(url).status_code == 200
    customer.refresh_from_db()
    assert customer.unsubscribed_at == first
    assert Suppression.objects.count() == 1
    assert "already unsubscribed" in client.get(url).content.decode()


def test_existing_suppression_in_another_case_is_reused(client):
    """The suppression list is unique case-insensitively; no duplicate is made."""
    customer = ClientFactory(email="Bea@Example.com")
    Suppression.objects.create(
        email="bea@example.com", reason=Suppression.Reason.HARD_BOUNCE
    )
    assert client.post(_url(customer.pk)).status_code == 200
    (suppression,) = Suppression.objects.all()
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
            id="signature",
        ),
        pytest.param(lambda token: "9" + token, id="client-id"),
        pytest.param(lambda token: "garbage", id="garbage"),
    ],
)
def test_tampered_token_is_refused_and_records_nothing(client, tamper):
    """A changed token gets a 400 page saying the link is invalid; nothing changes."""
    customer = ClientFactory()
    _approved_email(customer)
    token = tamper(unsubscribe_token_make(client_id=customer.pk))
    url = reverse("emails:unsubscribe", kwargs={"token": token})
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "invalid or has expired" in response.content.decode()
    customer.refresh_from_db()
    assert customer.unsubscribed_at is None
    assert not Suppression.objects.exists()
    assert ReengagementEmail.objects.get().status == EmailStatus.APPROVED


def test_expired_token_is_refused(client, settings, monkeypatch):
    """A token older than UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS is refused."""
    settings.UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = 30
    customer = ClientFactory()
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 31 * 86400)
    old_token = unsubscribe_token_make(client_id=customer.pk)
    monkeypatch.setattr(signing.time, "time", lambda: now - 29 * 86400)
    recent_token = unsubscribe_token_make(client_id=customer.pk)
    monkeypatch.undo()

    url = reverse("emails:unsubscribe", kwargs={"token": old_token})
    assert client.post(url).status_code == 400
    customer.refresh_from_db()
    assert customer.unsubscribed_at is None
    assert unsubscribe_token_client(token=recent_token) == customer


def test_token_signed_for_another_purpose_is_refused():
    """The salt keeps tokens signed elsewhere with the same key from working here."""
    customer = ClientFactory()
    other = signing.TimestampSigner(salt="something-else").sign(str(customer.pk))
    with pytest.raises(UnsubscribeLinkInvalid):
        unsubscribe_token_client(token=other)
    assert UNSUBSCRIBE_SALT != "something-else"


def test_token_of_deleted_client_is_refused(client):
    """A valid token for a client that no longer exists gets the invalid page."""
    customer = ClientFactory()
    url = _url(customer.pk)
    customer.delete()
    assert client.post(url).status_code == 400


# --- Bad input (issue 17): every refusal is the same 400 page or a 405 ----------


def _changed(token: str, index: int) -> str:
    swap = "B" if token[index] == "A" else "A"
    return token[:index] + swap + token[index + 1 :]


def _expired(customer_id: int) -> str:
    # Signed 366 days ago: past the default 365-day life of a link.
    then = time.time() - 366 * 86400
    with mock.patch.object(signing.time, "time", return_value=then):
        return unsubscribe_token_make(client_id=customer_id)


BAD_TOKENS = {
    "garbage": lambda pk: "garbage",
    "over-long-10000-chars": lambda pk: "A" * 10_000,
    "over-long-valid-prefix": lambda pk: (
        unsubscribe_token_make(client_id=pk) + "A" * 200
    ),
    "unicode": lambda pk: "cliënt-ñ-☃-名前",
    "unicode-lookalike-colon": lambda pk: unsubscribe_token_make(client_id=pk).replace(
        ":", "\uff1a"
    ),
    "nul-byte": lambda pk: unsubscribe_token_make(client_id=pk) + "\x00",
    "one-char-changed-signature": lambda pk: _changed(
        unsubscribe_token_make(client_id=pk), -1
    ),
    "one-char-changed-timestamp": lambda pk: _changed(
        unsubscribe_token_make(client_id=pk), len(str(pk)) + 1
    ),
    "one-char-changed-client-id": lambda pk: (
        str(pk + 1) + unsubscribe_token_make(client_id=pk)[len(str(pk)) :]
    ),
    "one-char-dropped": lambda pk: unsubscribe_token_make(client_id=pk)[:-1],
    "one-char-added": lambda pk: unsubscribe_token_make(client_id=pk) + "A",
    "other-salt": lambda pk: signing.TimestampSigner(salt="other").sign(str(pk)),
    "not-a-number": lambda pk: signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign(
        "abc"
    ),
    "expired-366-days": _expired,
}


def _send(http, method: str, url: str):
    if method == "one-click":
        return http.post(
            url,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    return getattr(http, method)(url)


def _state(customer) -> tuple:
    customer.refresh_from_db()
    return (
        customer.unsubscribed_at,
        customer.marketing_consent,
        Suppression.objects.count(),
        list(ReengagementEmail.objects.values_list("status", flat=True)),
    )


@pytest.mark.parametrize("method", ["get", "head", "post", "one-click"])
@pytest.mark.parametrize("name", BAD_TOKENS)
def test_bad_token_gets_the_invalid_page_and_changes_nothing(name, method):
    """Garbage, over-long, unicode, one character off, expired: 400, no change."""
    customer = ClientFactory(email="kept@example.com")
    _approved_email(customer)
    before = _state(customer)
    http = HttpClient(enforce_csrf_checks=True)
    token = BAD_TOKENS[name](customer.pk)
    response = _send(http, method, reverse("emails:unsubscribe", args=[token]))
    assert response.status_code == 400
    if method != "head":
        page = response.content.decode()
        assert "invalid or has expired" in page
        assert "kept" not in page
    assert _state(customer) == before


def test_deleted_client_page_is_the_garbage_page(client):
    """A deleted client's link answers what garbage answers (but the CSP nonce)."""
    customer = ClientFactory()
    url = _url(customer.pk)
    customer.delete()
    deleted = client.post(url)
    garbage = client.post(reverse("emails:unsubscribe", args=["garbage"]))
    assert deleted.status_code == garbage.status_code == 400
    nonce = re.compile(rb'nonce="[^"]*"')
    assert nonce.sub(b"", deleted.content) == nonce.sub(b"", garbage.content)


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options", "trace"])
@pytest.mark.parametrize("token_kind", ["valid", "garbage"])
def test_other_methods_get_405_with_allow_and_change_nothing(method, token_kind):
    """PUT, PATCH, DELETE, OPTIONS, TRACE: 405 naming GET, HEAD, POST; same answer
    for a valid and a garbage token, so it tells nothing about the client."""
    customer = ClientFactory()
    _approved_email(customer)
    before = _state(customer)
    token = unsubscribe_token_make(client_id=customer.pk)
    if token_kind == "garbage":
        token = "garbage"
    response = getattr(HttpClient(), method)(
        reverse("emails:unsubscribe", args=[token])
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert _state(customer) == before


def test_head_of_a_valid_link_changes_nothing(client):
    """HEAD (link checkers) shows nothing and records nothing."""
    customer = ClientFactory()
    response = client.head(_url(customer.pk))
    assert response.status_code == 200
    assert response.content == b""
    customer.refresh_from_db()
    assert customer.unsubscribed_at is None


def test_already_unsubscribed_one_click_keeps_the_first_opt_out(client):
    """A one-click POST for a client unsubscribed long ago: 200, first time kept."""
    customer = ClientFactory()
    url = _url(customer.pk)
    client.post(url)
    customer.refresh_from_db()
    first = customer.unsubscribed_at
    response = _send(HttpClient(enforce_csrf_checks=True), "one-click", url)
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.unsubscribed_at == first
    assert Suppression.objects.count() == 1


def test_a_link_keeps_working_for_the_whole_configured_life(client):
    """CAN-SPAM asks 30 days at least; the default keeps a link for 365."""
    customer = ClientFactory()
    then = time.time() - 364 * 86400
    with mock.patch.object(signing.time, "time", return_value=then):
        token = unsubscribe_token_make(client_id=customer.pk)
    assert client.post(reverse("emails:unsubscribe", args=[token])).status_code == 200


@pytest.mark.parametrize(("days", "ids"), [(29, ["emails.E003"]), (30, [])])
def test_a_link_life_under_30_days_stops_the_deploy(settings, days, ids):
    """UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS under 30 is a system check error."""
    settings.UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = days
    assert [m.id for m in unsubscribe_link_age_check()] == ids


@pytest.mark.parametrize("method", ["get", "put"])
def test_no_token_reaches_the_log(method):
    """Django logs each 4xx with its path; the console shows /u/<redacted>/."""
    customer = ClientFactory()
    token = unsubscribe_token_make(client_id=customer.pk)
    if method == "get":
        token = token[:-1]  # a 400 for a token one character off
    (console,) = [
        h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler
    ]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        http = HttpClient()
        http.raise_request_exception = False
        getattr(http, method)(reverse("emails:unsubscribe", args=[token]))
    finally:
        console.setStream(previous)
    logged = stream.getvalue()
    assert "/u/<redacted>/" in logged
    assert token not in logged
    assert token.split(":")[-1] not in logged
