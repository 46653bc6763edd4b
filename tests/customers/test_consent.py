"""Consent is the client's to give: staff may withdraw it, never grant it again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from customers.forms import ClientAdminForm
from customers.models import Client
from customers.services.consent import consent_regrant_error

from .factories import ClientFactory

pytestmark = pytest.mark.django_db

UNSUBSCRIBED = dt.datetime(2024, 5, 6, 12, tzinfo=dt.UTC)


def test_regrant_is_refused_for_an_unsubscribed_client():
    """Asking consent for a client who unsubscribed names the day."""
    client = ClientFactory(marketing_consent=False, unsubscribed_at=UNSUBSCRIBED)

    assert consent_regrant_error(client=client, wanted=True) == (
        "the client unsubscribed on 2024-05-06; only the client can opt in again"
    )
    assert consent_regrant_error(client=client, wanted=False) is None


def test_regrant_is_refused_for_a_client_who_never_consented():
    """Not having consented is not a blank for staff to fill in."""
    client = ClientFactory(marketing_consent=False)

    assert "only the client can opt in" in consent_regrant_error(
        client=client, wanted=True
    )


def test_consenting_and_new_clients_are_fine():
    """Keeping consent, withdrawing it, and a new client with consent are allowed."""
    consenting = ClientFactory(marketing_consent=True)

    assert consent_regrant_error(client=consenting, wanted=True) is None
    assert consent_regrant_error(client=consenting, wanted=False) is None
    assert consent_regrant_error(client=Client(), wanted=True) is None


def form_data(client: Client, **changes) -> dict:
    """Return the client as a form would post it, with ``changes`` applied."""
    data = {
        key: value
        for key, value in model_to_dict(client).items()
        if value is not None and key != "id"
    }
    return data | changes


def test_admin_form_cannot_tick_consent_back_on():
    """A manager's client form refuses consent for an unsubscribed client."""
    client = ClientFactory(marketing_consent=False, unsubscribed_at=UNSUBSCRIBED)

    form = ClientAdminForm(
        data=form_data(client, marketing_consent=True), instance=client
    )

    assert not form.is_valid()
    assert form.errors["marketing_consent"] == [
        "The client unsubscribed on 2024-05-06; only the client can opt in again."
    ]
    client.refresh_from_db()
    assert client.marketing_consent is False


def test_admin_form_may_withdraw_consent():
    """Unticking consent saves."""
    client = ClientFactory(marketing_consent=True)

    form = ClientAdminForm(
        data=form_data(client, marketing_consent=False), instance=client
    )

    assert form.is_valid(), form.errors
    assert form.save().marketing_consent is False
