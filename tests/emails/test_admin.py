"""The review screens: list, preview beside context, and stylists' narrowing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from emails.models import ReengagementEmail
from tests.customers.factories import (
    PASSWORD,
    ClientFactory,
    StylistFactory,
)
from tests.emails.factories import pending_review_email

pytestmark = pytest.mark.django_db


def _drafted(client, body: str) -> ReengagementEmail:
    return pending_review_email(
        client=client, subject="Your next Fix", body=body, provider="openrouter"
    )


def test_change_page_shows_escaped_preview_context_and_history(client, login_as):
    """The preview renders paragraphs with the body escaped, beside the history."""
    email = _drafted(
        ClientFactory(first_name="Ana"), "Hi Ana,\n\nI picked <b>denim</b> for you."
    )
    login_as("superuser")
    url = reverse("admin:emails_reengagementemail_change", args=[email.pk])
    page = client.get(url).content.decode()
    assert "&amp;lt;b&amp;gt;denim" in page  # escaped once in the email, once in srcdoc
    assert "&lt;p&gt;Hi Ana,&lt;/p&gt;" in page
    assert "drafting → pending_review" in page
    assert "Churn risk" in page
    listing = client.get(reverse("admin:emails_reengagementemail_changelist"))
    assert listing.status_code == 200
    assert "Your next Fix" in listing.content.decode()


def test_stylist_sees_only_own_clients_emails(client):
    """A stylist lists their own clients' drafts and gets 404 on anyone else's."""
    stylist = StylistFactory()
    mine = _drafted(ClientFactory(stylist=stylist), "Hi,\n\nMine.")
    theirs = _drafted(ClientFactory(stylist=StylistFactory()), "Hi,\n\nTheirs.")
    client.login(username=stylist.username, password=PASSWORD)
    listing = client.get(reverse("admin:emails_reengagementemail_changelist"))
    assert listing.status_code == 200
    ids = {e.pk for e in listing.context["cl"].result_list}
    assert ids == {mine.pk}
    other = reverse("admin:emails_reengagementemail_change", args=[theirs.pk])
    assert client.get(other).status_code == 404
