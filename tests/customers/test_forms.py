"""Quiet days on the client form: weekdays the client asked not to be emailed on."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from customers.forms import ClientAdminForm
from customers.models import Weekday

from .factories import PASSWORD, ClientFactory, ManagerFactory
from .test_consent import form_data

pytestmark = pytest.mark.django_db


def test_quiet_days_are_ticked_on_the_form_and_stored_as_iso_weekdays():
    client = ClientFactory()
    form = ClientAdminForm(
        data=form_data(client, quiet_days=["6", "7"]), instance=client
    )
    assert form.is_valid(), form.errors
    assert form.save().quiet_days == [Weekday.SATURDAY, Weekday.SUNDAY]
    client.refresh_from_db()
    assert client.quiet_days == [6, 7]


def test_all_seven_quiet_days_are_refused():
    client = ClientFactory()
    form = ClientAdminForm(
        data=form_data(client, quiet_days=[str(d) for d in Weekday.values]),
        instance=client,
    )
    assert not form.is_valid()
    assert "at least one day open" in form.errors["quiet_days"][0]


def test_the_client_page_shows_the_quiet_days_checkboxes(client):
    manager = ManagerFactory()
    assert client.login(username=manager.username, password=PASSWORD)
    book_client = ClientFactory(quiet_days=[Weekday.SUNDAY])
    page = client.get(
        reverse("admin:customers_client_change", args=[book_client.pk])
    ).content.decode()

    boxes = dict(
        re.findall(
            r'<input type="checkbox" name="quiet_days" value="(\d)"([^>]*)>', page
        )
    )
    assert sorted(boxes) == [str(day) for day in Weekday.values]
    assert [day for day, attrs in boxes.items() if "checked" in attrs] == ["7"]
