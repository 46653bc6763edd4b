"""The screens of docs/DEMO.md, shot in a real Chromium from a small realistic book.

With ``SCREENSHOTS_DIR`` set (``make screenshots`` sets it to ``docs/screenshots``)
the PNGs are written there for the docs; otherwise into pytest's ``tmp_path``, so
the test still proves every screen renders what the walk-through says it shows.

The book: three stylists and a few hundred clients across the tiers (the crowd is
built with the factories and written with ``bulk_create``, so no signal enqueues a
rescore or a draft); Maya Lopez, whose last Fixes went quiet and whose score slid
from healthy to at risk over three runs; drafts waiting for review, written by the
offline composer exactly as ``make demo`` writes them; and the outcome history of
``seed_demo_history``, which the dashboard labels as simulated.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal
from pathlib import Path

import factory.random
import pytest
from django.utils import timezone

from customers.models import Client, Order, OrderStatus, RiskTier
from emails.drafting import draft_compose_offline
from emails.models import EmailStatus, EmailTransition, ReengagementEmail
from emails.services.demo_history import (
    HISTORY_RUN_KEY,
    demo_history_seed,
)
from emails.services.drafting import client_profile_build
from scoring.models import ClientScore, ScoreSnapshot, ScoringRun
from tests.customers.factories import (
    PASSWORD,
    ClientFactory,
    ManagerFactory,
    OrderFactory,
    ReviewerFactory,
    StylistFactory,
)
from tests.emails.factories import ReengagementEmailFactory
from tests.support.browser import chromium_launch
from tests.support.csp_watch import csp_violations_collect

VIEWPORT = {"width": 1280, "height": 800}
MIN_PNG_BYTES = 10 * 1024
CROWD = 800  # enough held-out entries in the seeded history for an uplift figure
# (tier, share of the book, churn risk range, engagement range)
TIER_MIX = (
    (RiskTier.HEALTHY, 0.45, (0.08, 0.44), (55, 92)),
    (RiskTier.COOLING, 0.20, (0.45, 0.69), (35, 60)),
    (RiskTier.AT_RISK, 0.13, (0.70, 0.93), (12, 40)),
    (RiskTier.LAPSED, 0.22, (0.90, 0.99), (3, 20)),
)
CITIES = ("Chicago", "Denver", "Austin", "Seattle", "Atlanta", "Boston", "Phoenix")
STYLES = ("casual", "classic", "bohemian", "minimalist", "athleisure", "preppy", "edgy")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path) -> Path:
    """Return where the screenshots go: ``SCREENSHOTS_DIR`` if set, else tmp_path."""
    target = os.environ.get("SCREENSHOTS_DIR")
    if not target:
        return tmp_path
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        chromium = chromium_launch(p, "--hide-scrollbars")
        violations = csp_violations_collect(chromium)
        try:
            yield chromium
        finally:
            chromium.close()
    assert violations == [], "Content-Security-Policy violations"


def _login(browser, live_server, username: str):
    """Return a fresh 1280x800 page signed in as ``username``."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    # The admin remembers a collapsed navigation sidebar: more room for the tables.
    page.evaluate("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    return page


def _shoot(page, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True, type="png")
    return path


def _score_kwargs(rng: random.Random, tier: str, churn, engagement) -> dict:
    churn_risk = round(rng.uniform(*churn), 3)
    return {
        "risk_tier": tier,
        "churn_risk": churn_risk,
        "p_alive": round(max(0.02, 1 - churn_risk * rng.uniform(0.8, 1.0)), 3),
        "engagement_score": rng.randint(*engagement),
        "expected_orders": round((1 - churn_risk) * rng.uniform(0.8, 2.2), 2),
        "clv": Decimal(f"{(1 - churn_risk) * rng.uniform(300, 1400):.2f}"),
    }


def _crowd(stylists, now: dt.datetime) -> None:
    """Write a few hundred demo clients with current scores, without signals."""
    rng = random.Random(11)  # demo data, reproducible
    tiers = [
        (tier, churn, eng)
        for tier, share, churn, eng in TIER_MIX
        for _ in range(round(share * CROWD))
    ]
    rng.shuffle(tiers)
    clients = []
    for i, _ in enumerate(tiers):
        clients.append(
            ClientFactory.build(
                external_id=f"demo-{i:05d}",
                email=f"demo{i:05d}@example.com",
                # Sara, the stylist of the walk-through, has one page of clients.
                stylist=stylists[0] if i % 25 == 0 else stylists[1 + i % 7],
                city=rng.choice(CITIES),
                preferred_styles=rng.sample(STYLES, 2),
                signup_date=timezone.localdate() - dt.timedelta(rng.randint(120, 1400)),
                order_count=rng.randint(1, 14),
            )
        )
    clients = Client.objects.bulk_create(clients, batch_size=500)
    scores = []
    for client, (tier, churn, eng) in zip(clients, tiers, strict=True):
        quiet_days = {
            RiskTier.HEALTHY: (5, 60),
            RiskTier.COOLING: (50, 120),
            RiskTier.AT_RISK: (90, 250),
            RiskTier.LAPSED: (365, 700),
        }[tier]
        client.last_order_at = now - dt.timedelta(days=rng.randint(*quiet_days))
        scores.append(
            ClientScore(
                client=client, scored_at=now, **_score_kwargs(rng, tier, churn, eng)
            )
        )
    Client.objects.bulk_update(clients, ["last_order_at"], batch_size=500)
    ClientScore.objects.bulk_create(scores, batch_size=500)


MAYA_FIXES = (
    # days ago, items kept, what was kept, rating, comment
    (700, 3, "wrap dress, denim jacket, ankle boots", 5, "Loved the denim jacket!"),
    (610, 2, "linen trousers, striped tee", 4, ""),
    (520, 3, "cardigan, midi skirt, scarf", 5, "Perfect for work."),
    (400, 1, "striped tee", 3, ""),
    (300, 2, "chinos, chambray shirt", 4, ""),
    (140, 1, "denim jacket", 2, "The jeans ran small and the colours were dull."),
)


def _maya(stylist, now: dt.datetime) -> Client:
    """Return the at-risk client of the walk-through, with Fixes and score history."""
    maya = ClientFactory(
        first_name="Maya",
        last_name="Lopez",
        email="maya.lopez@example.com",
        external_id="demo-maya",
        stylist=stylist,
        city="Austin",
        time_zone="America/Chicago",
        signup_date=timezone.localdate() - dt.timedelta(days=760),
        preferred_styles=["bohemian", "casual", "workwear"],
        stylist_notes="Starting a new job in the spring; asked for relaxed workwear.",
    )
    Order.objects.bulk_create(
        [
            OrderFactory.build(
                client=maya,
                ordered_at=now - dt.timedelta(days=days),
                shipped_at=now - dt.timedelta(days=days - 2),
                status=OrderStatus.KEPT,
                items_kept=kept,
                kept_items=what,
                amount=Decimal(48 * kept + 20),
                rating=rating,
                feedback_comment=comment,
            )
            for days, kept, what, rating, comment in MAYA_FIXES
        ]
    )
    maya.order_count = len(MAYA_FIXES)
    maya.last_order_at = now - dt.timedelta(days=MAYA_FIXES[-1][0])
    maya.save(update_fields=["order_count", "last_order_at"])
    # Her snapshots ride on the weekly runs of the seeded history, then today's run.
    past_runs = list(
        ScoringRun.objects.filter(phase_seconds__has_key=HISTORY_RUN_KEY).order_by(
            "-started_at"
        )
    )
    today = ScoringRun.objects.create(
        trigger=ScoringRun.Trigger.NIGHTLY,
        n_clients=Client.objects.count(),
        finished_at=now,
        tier_counts={},
    )
    history = (
        # run, previous tier, tier, engagement, recency, churn, p_alive
        (past_runs[11], RiskTier.HEALTHY, RiskTier.HEALTHY, 61, 58.0, 0.38, 0.71),
        (past_runs[7], RiskTier.HEALTHY, RiskTier.COOLING, 47, 34.0, 0.57, 0.52),
        (past_runs[3], RiskTier.COOLING, RiskTier.COOLING, 39, 21.0, 0.66, 0.41),
        (today, RiskTier.COOLING, RiskTier.AT_RISK, 31, 9.0, 0.78, 0.29),
    )
    snapshots = []
    for run, previous, tier, engagement, recency, churn, p_alive in history:
        at = run.started_at
        days = max(0, (now - at).days)
        snapshots.append(
            ScoreSnapshot(
                client=maya,
                run=run,
                scored_at=at,
                previous_tier=previous,
                risk_tier=tier,
                engagement_score=engagement,
                recency_component=recency,
                frequency_component=52.0,
                monetary_component=47.0,
                keep_rate_component=40.0,
                rating_component=62.0,
                orders=6,
                repeat_orders=5,
                days_since_last_order=140 - days,
                tenure_days=760 - days,
                average_order_value=Decimal("124.00"),
                keep_rate=0.4,
                average_rating=3.8,
                p_alive=p_alive,
                expected_orders=round(1.6 * (1 - churn), 2),
                churn_risk=churn,
                clv=Decimal(f"{900 * (1 - churn):.2f}"),
                expected_next_order_on=(at + dt.timedelta(days=75)).date(),
            )
        )
    # bulk_create: no post_save, so no draft task is enqueued; the draft is below.
    snapshots = ScoreSnapshot.objects.bulk_create(snapshots)
    latest = snapshots[-1]
    ClientScore.objects.create(
        client=maya,
        snapshot=latest,
        scored_at=latest.scored_at,
        risk_tier=latest.risk_tier,
        engagement_score=latest.engagement_score,
        churn_risk=latest.churn_risk,
        p_alive=latest.p_alive,
        expected_orders=latest.expected_orders,
        clv=latest.clv,
    )
    # Today's run counts the book as the full run would have.
    today.tier_counts = {
        tier: ClientScore.objects.filter(risk_tier=tier).count()
        for tier in (
            RiskTier.HEALTHY,
            RiskTier.COOLING,
            RiskTier.AT_RISK,
            RiskTier.LAPSED,
        )
    }
    today.save(update_fields=["tier_counts"])
    maya.latest_snapshot = latest
    return maya


def _pending_draft(client: Client, *, snapshot=None, key: str) -> ReengagementEmail:
    """Queue, draft (offline composer, as ``make demo`` does) and put up for review."""
    draft = draft_compose_offline(
        profile=client_profile_build(client=client), prompt_version="v1"
    )
    email = ReengagementEmailFactory(
        client=client,
        snapshot=snapshot,
        idempotency_key=key,
        status=EmailStatus.PENDING_REVIEW,
        subject=draft.subject,
        preheader=draft.preheader,
        body=draft.body,
        provider=draft.provider,
        model=draft.model,
        prompt_version=draft.prompt_version,
        attempts=1,
    )
    EmailTransition.objects.bulk_create(
        [
            EmailTransition(
                email=email,
                from_status=EmailStatus.QUEUED,
                to_status=EmailStatus.DRAFTING,
            ),
            EmailTransition(
                email=email,
                from_status=EmailStatus.DRAFTING,
                to_status=EmailStatus.PENDING_REVIEW,
            ),
        ]
    )
    return email


@pytest.fixture
def book():
    """Build the walk-through's book; return its people and Maya's draft."""
    factory.random.reseed_random(2024)
    now = timezone.now()
    sara = StylistFactory(username="sara", first_name="Sara", last_name="Whitfield")
    stylists = [sara] + [
        StylistFactory(username=first.lower(), first_name=first, last_name=last)
        for first, last in (
            ("Jonas", "Berg"),
            ("Amara", "Okafor"),
            ("Priya", "Raman"),
            ("Lena", "Fischer"),
            ("Diego", "Santos"),
            ("Hana", "Kim"),
            ("Owen", "Price"),
        )
    ]
    _crowd(stylists, now)
    # Outcome history for the dashboard, as `make demo` seeds it: labelled simulated.
    demo_history_seed()
    maya = _maya(sara, now)
    draft = _pending_draft(maya, snapshot=maya.latest_snapshot, key="screens:maya")
    others = (
        Client.objects.filter(score__risk_tier=RiskTier.AT_RISK)
        .exclude(pk=maya.pk)
        .exclude(emails__isnull=False)
        .order_by("-score__churn_risk")[:5]
    )
    for other in others:
        _pending_draft(other, key=f"screens:{other.pk}")
    return {
        "stylist": sara,
        "reviewer": ReviewerFactory(
            username="rita", first_name="Rita", last_name="Moreno"
        ),
        "manager": ManagerFactory(username="mina", first_name="Mina", last_name="Cho"),
        "maya": maya,
        "draft": draft,
    }


def _assert_png(path: Path) -> None:
    assert path.exists()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > MIN_PNG_BYTES


def test_client_list_with_tiers(live_server, browser, book, shots):
    """A stylist's book: every client with a tier badge, engagement and churn risk."""
    page = _login(browser, live_server, book["stylist"].username)
    page.goto(f"{live_server.url}/admin/customers/client/")
    assert page.locator("h1").inner_text() == "Select client to change"
    rows = page.locator("#result_list").inner_text()
    assert "Maya Lopez" in rows
    for tier in ("Healthy", "Cooling", "At risk", "Lapsed"):
        assert tier in rows
    _assert_png(_shoot(page, shots / "01-client-list.png"))


def test_at_risk_client_page_explains_the_score(live_server, browser, book, shots):
    """Maya's page: tier, churn risk and the "Why this score" table."""
    page = _login(browser, live_server, book["stylist"].username)
    page.goto(f"{live_server.url}/admin/customers/client/{book['maya'].pk}/change/")
    content = page.locator("#content").inner_text()
    assert "Why this score" in content
    assert "last order 140 days ago" in content
    assert "Churn risk (no order in the next 90 days) 78%" in content
    _assert_png(_shoot(page, shots / "02-client-page.png"))
    engagement = page.locator("fieldset", has_text="Why this score")
    engagement.screenshot(path=str(shots / "02-why-this-score.png"), type="png")
    _assert_png(shots / "02-why-this-score.png")


def test_review_queue_and_draft_beside_the_client(live_server, browser, book, shots):
    """The reviewer's queue, then Maya's draft beside her tier, scores and Fixes."""
    page = _login(browser, live_server, book["reviewer"].username)
    page.goto(f"{live_server.url}/admin/emails/reengagementemail/")
    assert "Maya" in page.locator("#result_list").inner_text()
    _assert_png(_shoot(page, shots / "03-review-queue.png"))

    draft = book["draft"]
    page.goto(f"{live_server.url}/admin/emails/reengagementemail/{draft.pk}/change/")
    page.locator("#review-actions input[value=Approve]").wait_for()
    content = page.locator("#content").inner_text()
    assert "Maya Lopez" in content
    assert "Edit then approve" in content
    assert "Churn risk" in content
    _assert_png(_shoot(page, shots / "04-review-draft.png"))


def test_dashboard_with_simulated_history(live_server, browser, book, shots):
    """The retention dashboard: tiers, funnel, uplift and money, flagged simulated."""
    page = _login(browser, live_server, book["manager"].username)
    page.goto(f"{live_server.url}/admin/dashboard/")
    assert page.locator("h1").inner_text() == "Retention dashboard"
    assert "Simulated data." in page.locator("#dash-simulated").inner_text()
    assert "Uplift" in page.locator("#dash-uplift").inner_text()
    _assert_png(_shoot(page, shots / "05-dashboard.png"))
