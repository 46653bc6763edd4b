"""Each role's daily task, end to end in a real Chromium at 1440 x 900.

Every user signs in through the real login form. A stylist finds an at-risk
client with the tier filter and reads why; a reviewer edits and approves a draft,
a real Celery worker sends it through the send task, and the list shows it sent;
a manager reads the dashboard. On every page the browser reports no console
error and no uncaught exception, and the page fits a 1440-px screen (no
horizontal scroll). Screenshots of each step go to ``SCREENSHOTS_DIR`` when set
(``make screenshots``: ``docs/screenshots/``, linked from docs/DEMO.md), else
into pytest's ``tmp_path``.

The book is the one of tests/test_demo_screenshots.py (a stylist's page of
clients across the tiers, Maya at risk with her score history, drafts waiting,
the seeded outcome history).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emails.models import EmailStatus, ReengagementEmail
from tests.customers.factories import PASSWORD
from tests.emails.conftest import email_wait_for_status
from tests.test_demo_screenshots import _assert_png

SCREEN_WIDTH = 1440
VIEWPORT = {"width": SCREEN_WIDTH, "height": 900}
SEND_WAIT_SECONDS = 30.0
# Boxes that scroll sideways inside the page (the admin's results table and
# tabular inlines do, rather than widen the page): columns hidden off-screen.
INNER_SCROLLERS = """
[...document.querySelectorAll('#content *')]
  .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
                && el.scrollWidth > el.clientWidth + 1)
  .map(el => `${el.tagName.toLowerCase()}#${el.id}.${el.className} `
             + `${el.scrollWidth}>${el.clientWidth}`)
"""
EDITED_LINE = "PS: I have a few relaxed workwear pieces in mind for your new job."

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Session:
    """A signed-in page that records console errors and uncaught exceptions."""

    def __init__(self, browser, live_server, username: str, shots: Path):
        self.live_server = live_server
        self.shots = shots
        self.errors: list[str] = []
        self.problems: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.goto(f"{live_server.url}/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]")
        self.page.wait_for_url("**/admin/")

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.live_server.url}{path}")

    def check(self, name: str) -> None:
        """Keep a screenshot; note a page wider than 1440 px or with errors.

        The test goes on to its next step (so every screenshot is taken) and
        ``assert_clean`` fails it at the end with everything found.
        """
        width = self.page.evaluate("document.documentElement.scrollWidth")
        scrollers = self.page.evaluate(INNER_SCROLLERS)
        path = self.shots / name
        self.page.screenshot(path=str(path), full_page=True, type="png")
        _assert_png(path)
        if width > SCREEN_WIDTH:
            self.problems.append(f"{name}: {width}px wide")
        if scrollers:
            self.problems.append(f"{name}: scrolls sideways inside {scrollers}")
        if self.errors:
            self.problems.append(f"{name}: {self.errors}")
            self.errors = []

    def assert_clean(self) -> None:
        """Every page checked fitted the screen and logged no error."""
        assert self.problems == []


def test_stylist_finds_an_at_risk_client_and_reads_why(
    live_server, browser, book, shots
):
    """The tier filter lists Maya among the at-risk; her page says why, in figures."""
    s = Session(browser, live_server, book["stylist"].username, shots)
    s.goto("/admin/customers/client/")
    s.check("10-stylist-client-list.png")

    s.page.locator("#changelist-filter a", has_text="At risk").click()
    s.page.wait_for_url("**tier=at_risk**")
    rows = s.page.locator("#result_list tbody tr")
    assert rows.count() >= 2
    for text in rows.all_inner_texts():
        assert "At risk" in text
    s.check("11-stylist-at-risk-filter.png")

    s.page.locator("#result_list a", has_text="Maya Lopez").click()
    s.page.wait_for_url(f"**/client/{book['maya'].pk}/change/**")
    panel = s.page.locator("fieldset", has_text="Why this score")
    text = panel.inner_text()
    assert "last order 140 days ago" in text
    assert "Churn risk (no order in the next 90 days) 78%" in text
    s.check("12-stylist-why-this-score.png")
    panel.screenshot(path=str(shots / "12-why-this-score-panel.png"), type="png")
    s.assert_clean()


@pytest.mark.worker
def test_reviewer_edits_approves_and_sees_it_sent(
    live_server, browser, book, shots, celery_worker, tmp_path
):
    """Edit then approve, send now; the real send task sends it; the list shows it."""
    outbox = tmp_path / "sent"
    celery_worker(
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
        }
    )
    draft = book["draft"]
    s = Session(browser, live_server, book["reviewer"].username, shots)
    s.goto("/admin/emails/reengagementemail/")
    assert "Maya Lopez" in s.page.locator("#result_list").inner_text()
    s.check("20-reviewer-queue.png")

    s.page.click(f"#result_list a[href$='/{draft.pk}/change/']")
    s.page.locator("#review-actions input[value=Approve]").wait_for()
    s.check("21-reviewer-draft.png")

    s.page.click("text=Edit then approve")
    body = s.page.locator("textarea[name=body]")
    body.fill(f"{body.input_value()}\n\n{EDITED_LINE}")
    s.check("22-reviewer-edit.png")
    s.page.click("#content-main input[type=submit]")
    s.page.locator(".messagelist").wait_for()
    assert "approved" in s.page.locator(".messagelist").inner_text().lower()
    # Approval schedules the send for the client's best hour in their window;
    # the reviewer sends it at once.
    draft.refresh_from_db()
    if draft.status == EmailStatus.APPROVED:
        s.goto(f"/admin/emails/reengagementemail/{draft.pk}/change/")
        s.page.click("input[type=submit][value='Send now']")
        s.page.locator(".messagelist").wait_for()

    email_wait_for_status(draft, EmailStatus.SENT, timeout=SEND_WAIT_SECONDS)
    assert draft.status == EmailStatus.SENT, f"still {draft.status}"
    assert EDITED_LINE in draft.body
    assert len(list(outbox.iterdir())) == 1

    s.goto(f"/admin/emails/reengagementemail/?status__exact={EmailStatus.SENT}")
    row = s.page.locator("#result_list tbody tr", has_text="Maya Lopez")
    assert row.count() == 1
    assert "Sent" in row.inner_text()
    s.check("23-reviewer-sent.png")
    assert ReengagementEmail.objects.filter(status=EmailStatus.SENT).count() >= 1
    s.assert_clean()


def test_manager_reads_the_dashboard(live_server, browser, book, shots):
    """Tiers, funnel, uplift and money, each saying where it comes from."""
    s = Session(browser, live_server, book["manager"].username, shots)
    s.goto("/admin/dashboard/")
    assert s.page.locator("h1").inner_text() == "Retention dashboard"
    assert "Simulated data." in s.page.locator("#dash-simulated").inner_text()
    # The figures' own cards say they are simulated, not only the notice above.
    for card in ("#dash-uplift", "#dash-money", "#dash-funnel"):
        assert "Simulated" in s.page.locator(f"{card} .dash-sim-tag").inner_text()
    money = s.page.locator("#dash-money").inner_text()
    assert "Where from" in money
    # Cents of model cost: no ROI of thousands, but the reason why.
    assert s.page.locator("#dash-roi").inner_text().startswith("n/a (cost $0.0")
    # The seeded runs end where the first real run starts, and the chart says so.
    assert s.page.locator("#dash-trend #trend-boundary").count() == 1
    assert "simulated" in s.page.locator("#dash-trend").inner_text()
    s.check("30-manager-dashboard.png")
    s.assert_clean()
