"""Emails left in sending are settled by a reviewer after checking SES."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from emails.models import EmailStatus, EmailTransition, ReengagementEmail
from emails.services.stuck_sends import stuck_send_confirm_sent, stuck_send_retry
from tests.customers.factories import (
    PASSWORD,
    ClientFactory,
    ReviewerFactory,
    StylistFactory,
)
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db


def stuck(**fields) -> ReengagementEmail:
    return ReengagementEmailFactory(
        client=fields.pop("client", None) or ClientFactory(),
        status=EmailStatus.SENDING,
        subject="Hello",
        body="Hi",
        **fields,
    )


def test_confirm_sent_records_who_and_when():
    """A reviewer confirms delivery: sent, with the transition on the record."""
    reviewer = ReviewerFactory()
    email = stuck_send_confirm_sent(email=stuck(), actor=reviewer)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.sent_at is not None
    move = EmailTransition.objects.get(email=email)
    assert (move.from_status, move.to_status, move.actor) == (
        EmailStatus.SENDING,
        EmailStatus.SENT,
        reviewer,
    )


def test_retry_goes_back_to_approved_and_sends_on_commit(
    django_capture_on_commit_callbacks,
):
    """Not in SES: back to approved, with one send enqueued once committed."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = stuck_send_retry(email=stuck(), actor=ReviewerFactory())
    assert email.status == EmailStatus.APPROVED
    assert len(callbacks) == 1


def test_stylists_cannot_settle_sends():
    """Only reviewers and managers decide about a send."""
    with pytest.raises(PermissionDenied):
        stuck_send_confirm_sent(email=stuck(), actor=StylistFactory())


def test_admin_action_settles_only_emails_in_sending(client):
    """The bulk action touches emails in sending and skips the rest."""
    in_sending = stuck()
    sent = stuck()
    ReengagementEmail.objects.filter(pk=sent.pk).update(status=EmailStatus.SENT)
    reviewer = ReviewerFactory()
    assert client.login(username=reviewer.username, password=PASSWORD)
    response = client.post(
        reverse("admin:emails_reengagementemail_changelist") + "?queue=all",
        {
            "action": "confirm_sent_selected",
            helpers.ACTION_CHECKBOX_NAME: [in_sending.pk, sent.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    in_sending.refresh_from_db()
    assert in_sending.status == EmailStatus.SENT
    assert "1 confirmed sent; 1 skipped" in response.content.decode()
