"""The public unsubscribe link: signed, expiring, no login, RFC 8058 one-click."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client as HttpClient
from django.urls import reverse

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
