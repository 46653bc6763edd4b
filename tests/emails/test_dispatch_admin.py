"""The review desk and send times: "Sends at", Send now, a broker down at approval."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from emails import tasks
from emails.models import EmailStatus
from emails.services import review
from emails.services.dispatch import emails_dispatch
from tests.customers.factories import (
    ReviewerFactory,
    StylistFactory,
    password_login,
)
from tests.emails.conftest import REVIEW_CHANGELIST, review_url
from tests.emails.factories import pending_email
from tests.emails.test_dispatch import approved

pytestmark = pytest.mark.django_db

# 2026-06-11 15:00 UTC is 10:00 in Chicago (CDT), the test clients' zone.
SEND_AFTER = dt.datetime(2026, 6, 11, 15, 0, tzinfo=dt.UTC)
SHOWN = "2026-06-11 10:00 America/Chicago (2026-06-11 15:00 UTC)"


def test_the_list_and_the_review_panel_show_when_an_email_goes(client):
    """ "Sends at" in the client's local time and in UTC, for approved emails."""
    email = approved(send_after=SEND_AFTER)
    approved(send_after=SEND_AFTER, status=EmailStatus.SENT)
    password_login(client, ReviewerFactory())
    page = client.get(reverse(REVIEW_CHANGELIST) + "?queue=all").content.decode()
    assert "Sends at" in page
    assert page.count(SHOWN) == 1  # the sent one shows none
    change = client.get(review_url("change", email)).content.decode()
    assert f"<strong>Sends at:</strong> {SHOWN}" in change


def test_approval_says_when_the_email_will_go(client, monkeypatch):
    monkeypatch.setattr(review, "send_time_choose", lambda *, client, now: SEND_AFTER)
    email = pending_email()
    password_login(client, ReviewerFactory())
    response = client.post(review_url("approve", email), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [f"Email #{email.pk} approved; it will be sent at {SHOWN}."]
    email.refresh_from_db()
    assert (email.status, email.send_after) == (EmailStatus.APPROVED, SEND_AFTER)


def test_reviewer_sends_now_from_the_email_page(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    published: list[int] = []
    monkeypatch.setattr(
        tasks.send_email_task,
        "apply_async",
        lambda args=None, kwargs=None, **options: published.append(args[0]),
    )
    email = approved(send_after=SEND_AFTER)
    password_login(client, ReviewerFactory())
    page = client.get(review_url("change", email)).content.decode()
    assert review_url("send_now", email) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review_url("send_now", email), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Email #{email.pk} is being sent now."
    ]
    assert published == [email.pk]
    email.refresh_from_db()
    assert email.send_after <= timezone.now()


def test_stylists_get_no_send_now(client):
    stylist = StylistFactory()
    email = approved(send_after=SEND_AFTER)
    email.client.stylist = stylist
    email.client.save()
    password_login(client, stylist)
    assert (
        review_url("send_now", email)
        not in client.get(review_url("change", email)).content.decode()
    )
    assert client.post(review_url("send_now", email)).status_code == 403
    email.refresh_from_db()
    assert email.send_after == SEND_AFTER


def test_bulk_send_now_sends_approved_and_skips_the_rest(client, monkeypatch):
    monkeypatch.setattr(tasks.send_email_task, "apply_async", lambda *a, **k: None)
    waiting = approved(send_after=SEND_AFTER)
    draft = pending_email()
    password_login(client, ReviewerFactory())
    response = client.post(
        reverse(REVIEW_CHANGELIST) + "?queue=all",
        {"action": "send_now_selected", "_selected_action": [waiting.pk, draft.pk]},
        follow=True,
    )
    assert "1 queued to send now; 1 skipped (not approved)." in [
        str(m) for m in response.context["messages"]
    ]


def test_approval_with_the_broker_down_is_no_500_and_the_dispatcher_sends_it(
    client, monkeypatch, settings, broker, django_capture_on_commit_callbacks
):
    """The publish at approval fails after the commit: the reviewer gets the page,
    the email stays approved, and the dispatcher publishes it once the broker is
    back."""
    settings.SEND_WINDOW_START_HOUR, settings.SEND_WINDOW_END_HOUR = 0, 24
    monkeypatch.setattr(review, "send_time_choose", lambda *, client, now: now)

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Refused.")

    monkeypatch.setattr(tasks.send_email_task, "apply_async", refuse)
    email = pending_email()
    password_login(client, ReviewerFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(review_url("approve", email))
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.dispatched_at) == (EmailStatus.APPROVED, None)
    assert broker.llen("send") == 0

    monkeypatch.undo()  # the broker is back
    assert emails_dispatch().enqueued == 1
    (raw,) = broker.lrange("send", 0, -1)
    headers = json.loads(raw)["headers"]
    assert (headers["task"], headers["argsrepr"]) == (
        "emails.send_email",
        f"({email.pk},)",
    )
    assert emails_dispatch().enqueued == 0  # published once
