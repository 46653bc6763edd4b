"""The retention dashboard page: who may open it, what it shows, where it is linked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import RiskTier
from emails.dashboard_views import roi_display
from emails.models import (
    EmailStatus,
    Experiment,
    RetentionAssignment,
)
from emails.services.outcomes import Money
from scoring.models import ScoringRun
from tests.customers.factories import (
    PASSWORD,
    ClientFactory,
    OrderFactory,
    UserFactory,
)
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


def _outcomes_book() -> None:
    """Twelve emailed (6 re-engaged for $100 each), twelve held out (3)."""
    now = timezone.now()
    for i in range(12):
        client = ClientFactory(risk_tier=RiskTier.AT_RISK)
        sent_at = now - dt.timedelta(days=45)
        ReengagementEmailFactory(
            client=client,
            status=EmailStatus.SENT,
            sent_at=sent_at,
            cost_usd=Decimal("0.50"),
            send_cost_usd=Decimal("0.10"),
        )
        if i < 6:
            OrderFactory(
                client=client,
                ordered_at=sent_at + dt.timedelta(days=3),
                amount=Decimal("100.00"),
            )
    for i in range(12):
        client = ClientFactory(risk_tier=RiskTier.LAPSED)
        assignment = RetentionAssignment.objects.create(
            client=client, group=RetentionAssignment.Group.HOLDOUT, holdout_share=0.1
        )
        RetentionAssignment.objects.filter(pk=assignment.pk).update(
            assigned_at=now - dt.timedelta(days=45)
        )
        if i < 3:
            OrderFactory(
                client=client,
                ordered_at=now - dt.timedelta(days=40),
                amount=Decimal("100.00"),
            )
    for weeks_ago, at_risk in ((2, 30), (1, 24)):
        run = ScoringRun.objects.create(
            trigger=ScoringRun.Trigger.NIGHTLY,
            finished_at=now,
            tier_counts={"healthy": 100, "at_risk": at_risk},
        )
        ScoringRun.objects.filter(pk=run.pk).update(
            started_at=now - dt.timedelta(weeks=weeks_ago)
        )


def test_manager_sees_the_figures_and_charts(client, login_as):
    """A manager gets the page with rates, uplift, money and inline SVG charts."""
    _outcomes_book()
    login_as("manager")
    assert reverse("dashboard:index") == URL
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Retention dashboard" in page
    assert "50.0%" in page  # emailed 6 of 12
    assert "25.0%" in page  # holdout 3 of 12
    assert "+25.0 pp" in page  # uplift
    assert "Newcombe" in page
    assert "$600.00" in page  # attributed revenue
    assert "$300.00" in page  # incremental: 12 x (50 - 25)
    assert "$7.2000" in page  # cost: 12 x (0.50 + 0.10)
    assert "40.7\u00d7" in page  # ROI (300 - 7.2) / 7.2
    assert page.count("<svg") >= 4
    main = page[page.index('id="content-main"') :]
    assert "<script" not in main  # the charts need no JavaScript
    assert "https://" not in main
    assert "http://" not in main.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'href="/admin/"' in page  # breadcrumbs back into the admin
    summary = response.context["summary"]
    assert summary.funnel.sent == 12
    assert [counts["at_risk"] for _, counts in summary.tier_trend] == [30, 24]


def test_empty_book_says_not_enough_data(client, login_as):
    """Without data the page renders and claims no uplift."""
    login_as("superuser")
    response = client.get(URL)
    assert response.status_code == 200
    assert "not enough data" in response.content.decode()


@pytest.mark.parametrize("role", ["reviewer", "manager", "superuser"])
def test_reviewers_managers_and_superusers_may_open_it(client, login_as, role):
    """Everyone who sees the whole client book may see company-wide outcomes."""
    login_as(role)
    assert client.get(URL).status_code == 200


def test_stylist_gets_403(client, login_as):
    """A stylist sees only their own clients, so company-wide outcomes are refused."""
    login_as("stylist")
    assert client.get(URL).status_code == 403


def test_anonymous_and_non_staff_are_sent_to_the_login(client):
    """The page sits behind the admin login like every admin screen."""
    assert client.get(URL).status_code == 302
    client.login(username=UserFactory().username, password=PASSWORD)
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_index_links_to_the_dashboard(client, login_as):
    """The admin home page shows the retention dashboard link at the top."""
    login_as("manager")
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{URL}"' in page
    assert "Retention dashboard" in page
    assert page.index("retention-dashboard-link") < page.index('id="content-main"')


def test_stylists_are_not_shown_the_dashboard_link(client, login_as):
    """A stylist, who may not open the dashboard, does not see a link to it."""
    login_as("stylist")
    page = client.get(reverse("admin:index")).content.decode()
    assert "retention-dashboard-link" not in page


def test_dashboard_narrows_to_one_experiment(client, login_as):
    """Links per experiment; a chosen one narrows the figures; unknown names 404."""
    _outcomes_book()
    for name in ("prompt-v1", "prompt-v2"):
        RetentionAssignment.objects.create(
            client=ClientFactory(),
            group=RetentionAssignment.Group.HOLDOUT,
            holdout_share=0.1,
            experiment=name,
        )
    login_as("manager")
    page = client.get(URL).content.decode()
    assert "<strong>all, pooled</strong>" in page
    assert '<a href="?experiment=prompt-v2">prompt-v2</a>' in page
    narrowed = client.get(URL, {"experiment": "prompt-v2"})
    assert narrowed.status_code == 200
    assert narrowed.context["summary"].experiment == "prompt-v2"
    assert narrowed.context["summary"].funnel.at_risk == 1
    assert "<strong>prompt-v2</strong>" in narrowed.content.decode()
    assert client.get(URL, {"experiment": "nope"}).status_code == 404


def _demo_clients(n: int) -> None:
    for i in range(n):
        client = ClientFactory(external_id=f"demo-{i:04d}", risk_tier=RiskTier.AT_RISK)
        OrderFactory(client=client, ordered_at=timezone.now() - dt.timedelta(days=200))


def test_demo_history_is_labelled_simulated(client, login_as):
    """Figures seeded by seed_demo_history carry a notice that they are generated."""
    from emails.services.demo_history import demo_history_seed

    _demo_clients(20)
    demo_history_seed(weeks=4, seed=3)
    login_as("manager")
    page = client.get(URL).content.decode()
    assert 'id="dash-simulated"' in page
    assert "Simulated data." in page
    assert "seed_demo_history" in page
    assert "generated past scoring runs" in page
    assert page.index('id="dash-simulated"') < page.index('id="dash-uplift"')


def test_real_outcomes_carry_no_simulated_notice(client, login_as):
    """A book without the demo history shows its figures as measured."""
    _outcomes_book()
    login_as("manager")
    page = client.get(URL).content.decode()
    assert "dash-simulated" not in page
    assert "Simulated data" not in page


def test_a_real_experiment_beside_the_demo_says_only_the_trend_is_simulated(
    client, login_as
):
    """Narrowed to a real experiment, only the seeded tier trend is flagged."""
    from emails.services.demo_history import demo_history_seed

    _demo_clients(20)
    demo_history_seed(weeks=4, seed=3)
    RetentionAssignment.objects.create(
        client=ClientFactory(),
        group=RetentionAssignment.Group.HOLDOUT,
        holdout_share=0.1,
        experiment="reengagement-v1",
    )
    login_as("manager")
    page = client.get(URL, {"experiment": "reengagement-v1"}).content.decode()
    assert 'id="dash-simulated"' in page
    assert "generated past scoring runs" in page
    assert "experiment <code>demo-history</code>" not in page
    pooled = client.get(URL).content.decode()
    assert "experiment <code>demo-history</code>" in pooled


def test_variants_are_compared_on_the_experiments_page(client, login_as):
    """Per variant: rate and interval, the horizon, the test and the verdict."""
    from emails.services.experiments import experiment_start
    from tests.emails.test_variant_outcomes import AS_OF, arm_add

    experiment = experiment_start(
        name="ab-1", prompt_versions=["v1", "v2"], mde=0.1, baseline=0.2
    )
    Experiment.objects.filter(pk=experiment.pk).update(
        planned_n_per_arm=30, started_at=AS_OF - dt.timedelta(days=200)
    )
    arm_add("v1", n=30, reengaged=6, days_ago=(timezone.now() - AS_OF).days + 60)
    arm_add("v2", n=30, reengaged=20, days_ago=(timezone.now() - AS_OF).days + 60)
    login_as("manager")
    pooled = client.get(URL).content.decode()
    assert 'id="dash-variants"' not in pooled
    assert '<a href="?experiment=ab-1">ab-1</a>' in pooled  # running now
    page = client.get(URL, {"experiment": "ab-1"}).content.decode()
    assert 'id="dash-variants"' in page
    assert "<strong>v1</strong>" in page
    assert "<strong>v2</strong>" in page
    assert "20.0%" in page  # v1's rate
    assert "66.7%" in page  # v2's rate
    assert "30 of 30</strong> closed windows reached" in page
    assert "+46.7 pp" in page
    assert "<strong>Winner: v2.</strong>" in page
    assert "Fixed-horizon test" in page


def test_variants_before_the_horizon_say_no_winner_yet(client, login_as):
    """A just-started experiment is listed and says how far it is from its n."""
    from emails.services.experiments import experiment_start

    experiment_start(
        name="ab-new", prompt_versions=["v1", "v2"], mde=0.05, baseline=0.1
    )
    login_as("reviewer")
    page = client.get(URL, {"experiment": "ab-new"}).content.decode()
    assert "0 of 686</strong> closed windows reached" in page
    assert "no winner can be declared before 686 in every arm" in page
    assert "Winner" not in page


@pytest.mark.parametrize(
    ("incremental", "llm", "shown"),
    [
        (Decimal("300.00"), Decimal("7.10"), "40.7\u00d7"),
        (
            Decimal("300.00"),
            Decimal("0.07"),
            "n/a (cost $0.1700 is too small to divide by)",
        ),
        (Decimal("5000.00"), Decimal("2.00"), "over 100\u00d7"),
        (None, Decimal("2.00"), "not enough data"),
    ],
)
def test_roi_is_shown_only_where_it_means_something(incremental, llm, shown):
    """ROI needs $1 of cost to divide by and is capped at 100x; else it says why."""
    money = Money(
        attributed_revenue=Decimal("600.00"),
        incremental_revenue=incremental,
        llm_cost=llm,
        ses_cost=Decimal("0.10"),
    )
    assert roi_display(money) == shown
