"""The client book as a stylist sees it, in a real Chromium."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from customers.models import Client, RiskTier
from customers.roles import STYLISTS
from tests.scoring.factories import ClientScoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_stylist_logs_in_and_finds_only_their_clients(
    live_server, browser_page, tmp_path
):
    """A stylist signs in, sees their at-risk client with a tier badge, not others."""
    stylist = User.objects.create_user(
        "sara", password="a-long-pass-123", is_staff=True
    )
    stylist.groups.add(Group.objects.get(name=STYLISTS))
    other = User.objects.create_user("otto", password="x", is_staff=True)
    maya = Client.objects.create(
        first_name="Maya", last_name="Lopez", email="maya@example.com", stylist=stylist
    )
    ClientScoreFactory(
        client=maya, risk_tier=RiskTier.AT_RISK, churn_risk=0.81, engagement_score=22
    )
    Client.objects.create(first_name="Zed", email="zed@example.com", stylist=other)

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "sara")
    page.fill("#id_password", "a-long-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(f"{live_server.url}/admin/customers/client/")
    page.screenshot(path=str(tmp_path / "client-list.png"), full_page=True)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "Maya Lopez" in text
    assert "At risk" in text
    assert "81%" in text
    assert "zed@example.com" not in page.content()

    page.fill("#searchbar", "maya")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=maya**")
    assert page.locator("#result_list tbody tr").count() == 1
