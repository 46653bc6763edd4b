"""Attribution, uplift, money and funnel of re-engagement emails vs the holdout."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Order, OrderStatus
from customers.services.demo_seed import demo_seed
from emails.models import (
    EmailStatus,
    EmailTransition,
    ReengagementEmail,
    RetentionAssignment,
)
from emails.services.demo_history import (
    demo_history_delete,
    demo_history_seed,
)
from emails.services.outcomes import (
    difference_interval_newcombe,
    outcomes_summarise,
    wilson_interval,
)
from scoring.models import ScoringRun
from tests.customers.factories import ClientFactory, OrderFactory
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
Group = RetentionAssignment.Group


def _assign(client, *, group: str, at: dt.datetime) -> RetentionAssignment:
    assignment = RetentionAssignment.objects.create(
        client=client, group=group, holdout_share=0.1
    )
    RetentionAssignment.objects.filter(pk=assignment.pk).update(assigned_at=at)
    return assignment


def _email(client, *, status: str = EmailStatus.SENT, **fields) -> ReengagementEmail:
    fields.setdefault("cost_usd", Decimal("0.01"))
    if status == EmailStatus.SENT:
        fields.setdefault("send_cost_usd", Decimal("0.0001"))
    return ReengagementEmailFactory(client=client, status=status, **fields)


def _sent(*, days_ago: int, orders: tuple = ()) -> ReengagementEmail:
    """An emailed client: assignment and send ``days_ago``, orders (day, amount)."""
    client = ClientFactory()
    sent_at = AS_OF - dt.timedelta(days=days_ago)
    _assign(client, group=Group.TREATMENT, at=sent_at - dt.timedelta(days=1))
    for order in orders:
        day, amount, *status = order
        OrderFactory(
            client=client,
            ordered_at=sent_at + dt.timedelta(days=day),
            amount=Decimal(amount),
            status=status[0] if status else OrderStatus.KEPT,
        )
    return _email(client, sent_at=sent_at)


def _held_out(*, days_ago: int, orders: tuple = ()) -> RetentionAssignment:
    client = ClientFactory()
    at = AS_OF - dt.timedelta(days=days_ago)
    for day, amount in orders:
        OrderFactory(
            client=client, ordered_at=at + dt.timedelta(days=day), amount=amount
        )
    return _assign(client, group=Group.HOLDOUT, at=at)


def _known_book() -> None:
    """Ten closed emailed windows (4 re-engaged), ten closed holdout (1), some open."""
    _sent(days_ago=40, orders=((3, "100.00"), (10, "999.00")))  # first order counts
    _sent(days_ago=40, orders=((29, "120.00"),))
    _sent(days_ago=40, orders=((30, "80.00"),))  # the last day of the window
    _sent(days_ago=40, orders=((1, "200.00"),))
    _sent(days_ago=40, orders=((5, "300.00", OrderStatus.CANCELED),))
    _sent(days_ago=40, orders=((31, "300.00"),))  # one day too late
    _sent(days_ago=40, orders=((-5, "300.00"),))  # before the email
    for _ in range(3):
        _sent(days_ago=40)
    _sent(days_ago=10, orders=((2, "90.00"),))  # open window, converted already
    _sent(days_ago=10)  # open window
    _held_out(days_ago=50, orders=((12, Decimal("150.00")),))
    _held_out(days_ago=50, orders=((40, Decimal("150.00")),))  # too late
    for _ in range(8):
        _held_out(days_ago=50)
    _held_out(days_ago=5)  # open window

    rejected = _email(ClientFactory(), status=EmailStatus.REJECTED)
    EmailTransition.objects.create(
        email=rejected, from_status="drafting", to_status=EmailStatus.PENDING_REVIEW
    )
    # Failed while sending: it had been drafted and approved.
    failed_send = _email(
        ClientFactory(), status=EmailStatus.FAILED, cost_usd=Decimal("0.02")
    )
    for source, target in (
        ("drafting", "pending_review"),
        ("pending_review", "approved"),
    ):
        EmailTransition.objects.create(
            email=failed_send, from_status=source, to_status=target
        )
    # Failed while drafting: cost counts, but it never reached review.
    _email(ClientFactory(), status=EmailStatus.FAILED, cost_usd=Decimal("0.02"))


def _wilson_by_centre(x: int, n: int, z: float = 1.959963984540054):
    """Wilson interval in its centre +/- half-width form (an independent check)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_wilson_interval_matches_the_centre_half_width_form():
    """The Wilson interval equals its textbook centre/half-width form, 0 and n too."""
    for x, n in ((0, 10), (1, 10), (4, 10), (10, 10), (56, 70)):
        assert wilson_interval(successes=x, trials=n) == pytest.approx(
            _wilson_by_centre(x, n), abs=1e-12
        )


def test_newcombe_interval_reproduces_the_published_example():
    """56/70 - 48/80 gives Newcombe's (1998) method-10 interval 0.0524 to 0.3339."""
    lower, upper = difference_interval_newcombe(x1=56, n1=70, x2=48, n2=80)
    assert lower == pytest.approx(0.0524, abs=5e-5)
    assert upper == pytest.approx(0.3339, abs=5e-5)


def test_known_book_rates_interval_revenue_and_roi():
    """Hand-computed: 4/10 vs 1/10, uplift 0.3, revenue 500, incremental 350."""
    _known_book()
    summary = outcomes_summarise(as_of=AS_OF, days=30)

    emailed, holdout = summary.emailed, summary.holdout
    assert (emailed.closed, emailed.reengaged, emailed.open) == (10, 4, 2)
    assert (holdout.closed, holdout.reengaged, holdout.open) == (10, 1, 1)
    assert emailed.rate == pytest.approx(0.4)
    assert holdout.rate == pytest.approx(0.1)
    assert emailed.revenue == Decimal("500.00")
    assert holdout.revenue == Decimal("150.00")

    assert summary.uplift.difference == pytest.approx(0.3)
    l1, u1 = _wilson_by_centre(4, 10)
    l2, u2 = _wilson_by_centre(1, 10)
    expected_lower = 0.3 - math.sqrt((0.4 - l1) ** 2 + (u2 - 0.1) ** 2)
    expected_upper = 0.3 + math.sqrt((u1 - 0.4) ** 2 + (0.1 - l2) ** 2)
    assert summary.uplift.lower == pytest.approx(expected_lower, abs=1e-9)
    assert summary.uplift.upper == pytest.approx(expected_upper, abs=1e-9)
    assert summary.uplift.lower < 0 < summary.uplift.upper  # small groups: wide

    money = summary.money
    assert money.attributed_revenue == Decimal("500.00")
    assert money.incremental_revenue == Decimal("350.00")  # 10 x (50 - 15)
    assert money.llm_cost == Decimal("0.17")  # 12 sent x 0.01 + 0.01 + 0.02 + 0.02
    assert money.ses_cost == Decimal("0.0012")  # 12 sent x 0.0001
    assert money.roi == pytest.approx((350 - 0.1712) / 0.1712)

    funnel = summary.funnel
    assert (funnel.at_risk, funnel.holdout) == (23, 11)
    assert (funnel.drafted, funnel.approved, funnel.sent) == (14, 13, 12)
    assert funnel.reengaged == 5  # 4 closed + 1 open window that already converted


def test_open_windows_are_neither_successes_nor_failures():
    """Emails sent less than N days ago stay out of the rate until the window ends."""
    for _ in range(3):
        _sent(days_ago=40, orders=((2, "50.00"),))
    _sent(days_ago=40)
    for _ in range(5):
        _sent(days_ago=29)  # no order yet, window open one more day
    summary = outcomes_summarise(as_of=AS_OF, days=30)
    assert summary.emailed.closed == 4
    assert summary.emailed.open == 5
    assert summary.emailed.rate == pytest.approx(0.75)
    later = outcomes_summarise(as_of=AS_OF + dt.timedelta(days=2), days=30)
    assert later.emailed.closed == 9
    assert later.emailed.rate == pytest.approx(3 / 9)


def test_not_enough_data_gives_no_uplift_and_no_division_by_zero():
    """With an empty holdout, or a group under the minimum, no uplift is claimed."""
    empty = outcomes_summarise(as_of=AS_OF)
    assert empty.uplift is None
    assert empty.emailed.rate is None
    assert empty.money.roi is None
    _sent(days_ago=40, orders=((2, "50.00"),))
    _held_out(days_ago=40)
    small = outcomes_summarise(as_of=AS_OF, days=30, min_group_size=2)
    assert small.uplift is None
    assert small.money.incremental_revenue == Decimal("50.00")
    enough = outcomes_summarise(as_of=AS_OF, days=30, min_group_size=1)
    assert enough.uplift.difference == pytest.approx(1.0)


def test_query_count_does_not_grow_with_clients():
    """The summary is a fixed number of queries, however many clients and emails."""
    _known_book()
    with CaptureQueriesContext(connection) as few:
        outcomes_summarise(as_of=AS_OF)
    for _ in range(15):
        _sent(days_ago=35, orders=((4, "70.00"),))
        _held_out(days_ago=35, orders=((4, Decimal("70.00")),))
    with CaptureQueriesContext(connection) as many:
        outcomes_summarise(as_of=AS_OF)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(few.captured_queries) <= 9


def _history_fingerprint() -> tuple:
    """Everything the demo history wrote, keyed by stable demo external ids."""
    return (
        sorted(
            RetentionAssignment.objects.filter(experiment="demo-history").values_list(
                "client__external_id", "group", "assigned_at"
            )
        ),
        sorted(
            ReengagementEmail.objects.filter(
                idempotency_key__startswith="demo-history:"
            ).values_list("client__external_id", "status", "sent_at", "cost_usd")
        ),
        sorted(
            Order.objects.filter(import_key__startswith="demo-history:").values_list(
                "client__external_id", "ordered_at", "amount", "status"
            )
        ),
        list(
            ScoringRun.objects.filter(phase_seconds__has_key="demo_history")
            .order_by("started_at")
            .values_list("started_at", "tier_counts")
        ),
    )


def test_seed_demo_history_is_deterministic_idempotent_and_feeds_the_dashboard():
    """The same seed gives the same history; a rerun replaces it; charts get data."""
    demo_seed(clients=300, seed=3, today=AS_OF.date() - dt.timedelta(weeks=13))
    before = Order.objects.count()
    first = demo_history_seed(weeks=6, seed=5, as_of=AS_OF)
    snapshot = _history_fingerprint()
    second = demo_history_seed(weeks=6, seed=5, as_of=AS_OF)
    assert first == second
    assert _history_fingerprint() == snapshot
    assert Order.objects.count() == before + first.orders
    assert first.runs == 6
    assert 0 < first.holdout < first.assignments
    assert 0 < first.sent <= first.emails

    sent = ReengagementEmail.objects.filter(status=EmailStatus.SENT)
    assert sent.count() == first.sent
    assert not sent.filter(sent_at__gte=AS_OF).exists()
    assert set(sent.values_list("provider", flat=True)) == {"offline-template"}
    email = sent.first()
    assert list(email.transitions.values_list("to_status", flat=True)) == [
        "drafting",
        "pending_review",
        "approved",
        "sending",
        "sent",
    ]
    assert email.transitions.last().at == email.sent_at
    assert not RetentionAssignment.objects.filter(assigned_at__gte=AS_OF).exists()

    summary = outcomes_summarise(as_of=AS_OF, days=30, min_group_size=1)
    assert summary.emailed.closed > 0
    assert summary.holdout.closed > 0
    assert summary.funnel.sent == first.sent
    assert len(summary.tier_trend) == 6

    demo_history_seed(weeks=6, seed=6, as_of=AS_OF)
    assert _history_fingerprint() != snapshot
    demo_history_delete()
    assert Order.objects.count() == before
    assert not ReengagementEmail.objects.exists()
    assert not ScoringRun.objects.exists()


def test_seed_demo_history_command_needs_demo_clients():
    """Without demo clients the command stops with a clear message."""
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_history", stdout=io.StringIO())


def test_intention_to_treat_counts_everyone_assigned_to_be_emailed():
    """Treatment entries never sent count too, each timed from its assignment."""
    _known_book()
    for _ in range(2):  # assigned to be emailed, draft rejected: never sent
        _assign(
            ClientFactory(), group=Group.TREATMENT, at=AS_OF - dt.timedelta(days=45)
        )
    summary = outcomes_summarise(as_of=AS_OF)
    # From assignment (a day before the send) the order on day 30 after the send
    # falls outside the window: 3 of the 10 closed sent entries, plus 2 unsent.
    assert (summary.assigned.closed, summary.assigned.reengaged) == (12, 3)
    assert summary.itt_uplift.difference == pytest.approx(3 / 12 - 1 / 10)
    lower, upper = difference_interval_newcombe(x1=3, n1=12, x2=1, n2=10)
    assert (summary.itt_uplift.lower, summary.itt_uplift.upper) == pytest.approx(
        (lower, upper)
    )
    assert summary.emailed.rate == pytest.approx(0.4)


def _experiment_arm(experiment: str, *, emailed: int, converted: int, held: int):
    """Assign and email ``emailed`` clients (``converted`` reorder); hold ``held``."""
    from tests.emails.conftest import snapshot_make

    assigned_at = AS_OF - dt.timedelta(days=60)
    for i in range(emailed + held):
        client = ClientFactory()
        snapshot = snapshot_make(client)
        group = Group.TREATMENT if i < emailed else Group.HOLDOUT
        assignment = RetentionAssignment.objects.create(
            client=client,
            snapshot=snapshot,
            group=group,
            experiment=experiment,
            holdout_share=0.5,
        )
        RetentionAssignment.objects.filter(pk=assignment.pk).update(
            assigned_at=assigned_at
        )
        if group == Group.TREATMENT:
            sent_at = assigned_at + dt.timedelta(days=1)
            ReengagementEmailFactory(
                client=client,
                snapshot=snapshot,
                status=EmailStatus.SENT,
                sent_at=sent_at,
                cost_usd=Decimal("0.01"),
                send_cost_usd=Decimal("0.0001"),
            )
            if i < converted:
                OrderFactory(
                    client=client,
                    ordered_at=sent_at + dt.timedelta(days=2),
                    amount=Decimal("80.00"),
                )


def test_each_experiment_is_measured_on_its_own_and_all_pooled():
    """Filtering by experiment narrows emails, holdout, funnel and costs alike."""
    from emails.services.outcomes import experiments_list

    _experiment_arm("prompt-v1", emailed=10, converted=2, held=10)
    _experiment_arm("prompt-v2", emailed=12, converted=9, held=8)
    assert dict(experiments_list()) == {"prompt-v1": 20, "prompt-v2": 20}
    v1 = outcomes_summarise(as_of=AS_OF, days=30, experiment="prompt-v1")
    v2 = outcomes_summarise(as_of=AS_OF, days=30, experiment="prompt-v2")
    pooled = outcomes_summarise(as_of=AS_OF, days=30)
    assert (v1.emailed.closed, v1.emailed.reengaged, v1.holdout.closed) == (10, 2, 10)
    assert (v2.emailed.closed, v2.emailed.reengaged, v2.holdout.closed) == (12, 9, 8)
    assert (pooled.emailed.closed, pooled.emailed.reengaged) == (22, 11)
    assert (v1.funnel.at_risk, v1.funnel.holdout, v1.funnel.sent) == (20, 10, 10)
    assert v2.money.llm_cost == Decimal("0.120000")
    assert v2.money.attributed_revenue == Decimal("720.00")
    assert v1.experiment == "prompt-v1"
    assert pooled.experiment is None


def test_seed_demo_history_is_a_simulated_two_variant_experiment(client, login_as):
    """The demo history is an Experiment with v1 and v2, shown per variant."""
    from emails.models import Experiment
    from emails.services.variant_outcomes import variants_summarise

    demo_seed(clients=300, seed=3, today=AS_OF.date() - dt.timedelta(weeks=13))
    demo_history_seed(weeks=6, seed=5, as_of=AS_OF)
    experiment = Experiment.objects.get(name="demo-history")
    assert experiment.prompt_versions == ["v1", "v2"]
    assert not experiment.active  # a finished past experiment, not the live one
    assert experiment.planned_n_per_arm == 294  # 20% -> 30%, alpha .05, power .8
    treated = RetentionAssignment.objects.filter(
        experiment="demo-history", group=Group.TREATMENT
    )
    assert set(treated.values_list("prompt_version", flat=True)) == {"v1", "v2"}
    assert not treated.filter(prompt_version="").exists()
    emails = ReengagementEmail.objects.filter(idempotency_key__startswith="demo-")
    assert set(emails.values_list("prompt_version", flat=True)) == {"v1", "v2"}
    arms = variants_summarise(experiment=experiment, as_of=AS_OF).arms
    assert all(arm.outcome.closed for arm in arms)
    login_as("manager")
    page = client.get("/admin/dashboard/", {"experiment": "demo-history"})
    html = page.content.decode()
    assert 'id="dash-variants"' in html
    assert 'id="dash-simulated"' in html
    demo_history_delete()
    assert not Experiment.objects.filter(name="demo-history").exists()
