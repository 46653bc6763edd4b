"""A reviewer edits and approves a draft in a real Chromium."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from customers.roles import REVIEWERS
from emails.models import EmailStatus, EmailTransition
from tests.customers.factories import ClientFactory
from tests.emails.factories import ReengagementEmailFactory

BODY = (
    "Hi Maya,\n\nI loved seeing you keep the denim jacket from your last Fix, and "
    "I have been keeping an eye out for relaxed pieces in the same spirit. Your "
    "feedback helped me see what to do more of, and what to skip.\n\nIf you have a "
    "minute, tell me what is on your list this season and I will build your next "
    "Fix around it.\n\nAll the best,\nSara"
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_edits_then_approves_a_draft(live_server, browser_page):
    page = browser_page
    """The edit is saved, the email is approved, and the change is on the record."""
    reviewer = User.objects.create_user(
        "rita", password="a-long-pass-123", is_staff=True
    )
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    email = ReengagementEmailFactory(
        client=ClientFactory(first_name="Maya", email="maya@example.com"),
        status=EmailStatus.PENDING_REVIEW,
        subject="A few new ideas for you, Maya",
        preheader="Sara has a few pieces in mind for you",
        body=BODY,
        provider="offline-template",
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "a-long-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(f"{live_server.url}/admin/emails/reengagementemail/")
    page.click(f"a[href$='/{email.pk}/change/']")
    approve = page.locator("#review-actions input[value=Approve]")
    approve.wait_for()
    assert approve.count() == 1
    page.click("text=Edit then approve")
    page.fill("input[name=subject]", "Maya, shall we plan your next Fix?")
    page.click("#content-main input[type=submit]")
    page.locator(".messagelist").wait_for()
    email.refresh_from_db()
    assert email.status == EmailStatus.APPROVED
    assert email.subject == "Maya, shall we plan your next Fix?"
    assert email.reviewer == reviewer
    move = EmailTransition.objects.get(email=email, to_status=EmailStatus.APPROVED)
    assert "subject" in move.changes
    # Back on the review queue, with the outcome said in the admin's messages.
    assert "approved" in page.locator(".messagelist").inner_text().lower()
