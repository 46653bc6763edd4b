"""Rescoring the book: one aggregation, a fit, bulk writes, tiers and history."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Client, Order, OrderStatus, RiskTier
from scoring.bgnbd import BgNbdParams, bgnbd_predict
from scoring.models import ClientScore, ModelFit, ScoreSnapshot, ScoringRun
from scoring.selectors import order_stats
from scoring.services.predictions import rfm_inputs
from scoring.services.rescoring import (
    ModelFitRejectedError,
    clients_rescore,
    score_client_one,
)
from scoring.signals import clients_moved_into_at_risk
from scoring.tasks import rescore_client_task
from tests.scoring.book import book_create, orders_bulk_create, regular_book_create

pytestmark = pytest.mark.django_db


def test_full_run_scores_every_client_with_orders():
    """Each client with orders gets a snapshot and current scores; a fit is saved."""
    clients = book_create(clients=120)
    Client.objects.create(first_name="NoOrders", email="none@example.com")
    run = clients_rescore()
    assert ModelFit.objects.count() == 1
    assert run.n_clients == 120
    assert ScoreSnapshot.objects.filter(run=run).count() == 120
    assert sum(run.tier_counts.values()) == 120
    assert set(run.phase_seconds) == {"aggregate", "fit", "train", "predict", "write"}
    scored = ClientScore.objects.filter(client__in=clients)
    assert scored.count() == 120
    assert not scored.filter(risk_tier=RiskTier.UNSCORED).exists()
    assert Client.objects.get(email="none@example.com").current_tier == (
        RiskTier.UNSCORED
    )
    for snapshot in ScoreSnapshot.objects.filter(run=run).select_related("client")[:5]:
        current = ClientScore.objects.get(client=snapshot.client)
        assert current.risk_tier == snapshot.risk_tier
        assert current.engagement_score == snapshot.engagement_score
        assert current.churn_risk == snapshot.churn_risk
        assert current.clv == snapshot.clv
        assert current.scored_at == snapshot.scored_at
    assert 0 <= snapshot.churn_risk <= 1
    assert 0 <= snapshot.engagement_score <= 100


def test_query_count_does_not_grow_with_the_book():
    """The run is set-based: the same number of queries for 20 or 200 clients."""

    def queries_for(n: int, seed: int) -> int:
        book_create(clients=n, seed=seed)
        with CaptureQueriesContext(connection) as ctx:
            clients_rescore()
        return len(ctx.captured_queries)

    small = queries_for(20, seed=1)
    ScoreSnapshot.objects.all().delete()
    assert queries_for(200, seed=2) == small


def test_recent_buyer_has_lower_churn_risk_than_lapsed_buyer():
    """Same history shape, but a recent last order means a lower churn risk."""
    book_create(clients=80)
    now = timezone.now()
    recent = Client.objects.create(first_name="Recent", email="recent@example.com")
    stale = Client.objects.create(first_name="Stale", email="stale@example.com")
    for client, last in ((recent, 5), (stale, 300)):
        orders_bulk_create(
            Order(
                client=client,
                ordered_at=now - dt.timedelta(days=last + 40 * k),
                status=OrderStatus.KEPT,
                amount=100,
            )
            for k in range(5)
        )
    clients_rescore()
    recent, stale = (ClientScore.objects.get(client=c) for c in (recent, stale))
    assert recent.churn_risk < stale.churn_risk
    assert recent.engagement_score > stale.engagement_score
    assert recent.p_alive > stale.p_alive


def test_canceled_and_future_orders_do_not_count():
    """Canceled Fixes and Fixes scheduled in the future are not purchases."""
    book_create(clients=50)
    now = timezone.now()
    client = Client.objects.create(first_name="C", email="c@example.com")
    orders_bulk_create(
        [
            Order(
                client=client,
                ordered_at=now - dt.timedelta(days=100),
                amount=50,
                status=OrderStatus.KEPT,
            ),
            Order(
                client=client,
                ordered_at=now - dt.timedelta(days=10),
                amount=50,
                status=OrderStatus.CANCELED,
            ),
            Order(
                client=client,
                ordered_at=now + dt.timedelta(days=10),
                amount=50,
                status=OrderStatus.SCHEDULED,
            ),
        ]
    )
    run = clients_rescore()
    snapshot = ScoreSnapshot.objects.get(run=run, client=client)
    assert snapshot.orders == 1
    assert snapshot.days_since_last_order == 100


def test_clients_moving_into_at_risk_are_announced_after_commit(
    django_capture_on_commit_callbacks,
):
    """The bulk path announces exactly the snapshots that moved into at_risk."""
    book_create(clients=150)
    received: list[int] = []

    def listener(sender, snapshot_ids, **kwargs):
        received.extend(snapshot_ids)

    clients_moved_into_at_risk.connect(listener, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = clients_rescore()
        expected = set(
            ScoreSnapshot.objects.filter(run=run, risk_tier=RiskTier.AT_RISK)
            .exclude(previous_tier=RiskTier.AT_RISK)
            .values_list("id", flat=True)
        )
        assert expected, "the test book should have at-risk clients"
        assert set(received) == expected
        # A second run finds them already at risk: nobody moves again.
        received.clear()
        with django_capture_on_commit_callbacks(execute=True):
            clients_rescore()
        latest = ScoringRun.objects.latest("started_at")
        moved_now = set(
            ScoreSnapshot.objects.filter(run=latest, risk_tier=RiskTier.AT_RISK)
            .exclude(previous_tier=RiskTier.AT_RISK)
            .values_list("id", flat=True)
        )
        assert set(received) == moved_now
        assert len(moved_now) < len(expected)
    finally:
        clients_moved_into_at_risk.disconnect(dispatch_uid="test-listener")


def test_single_client_rescore_uses_latest_fit():
    """Rescoring one client makes a snapshot with the latest fit and no new fit."""
    clients = book_create(clients=100)
    clients_rescore()
    fit = ModelFit.objects.get()
    client = clients[0]
    orders_bulk_create(
        [
            Order(
                client=client,
                ordered_at=timezone.now(),
                amount=120,
                status=OrderStatus.KEPT,
            )
        ]
    )
    snapshot = score_client_one(client_id=client.pk)
    assert ModelFit.objects.count() == 1
    assert snapshot.run.model_fit == fit
    assert snapshot.days_since_last_order == 0
    current = ClientScore.objects.get(client=client)
    assert current.scored_at == snapshot.scored_at
    assert current.churn_risk == pytest.approx(snapshot.churn_risk)
    assert current.risk_tier == snapshot.risk_tier
    assert ClientScore.objects.count() == 100


def test_single_client_rescore_without_a_fit_does_nothing():
    """Before the first full run there is no model to score with."""
    (client,) = book_create(clients=1)
    assert score_client_one(client_id=client.pk) is None
    assert rescore_client_task(client.pk) is None


def test_saving_an_order_enqueues_a_rescore_on_commit(
    django_capture_on_commit_callbacks,
):
    """An order saved through the ORM enqueues the client's rescoring on commit."""
    (client,) = book_create(clients=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Order.objects.create(client=client, amount=10, status=OrderStatus.KEPT)
    assert len(callbacks) == 1


def test_aggregation_merges_same_day_orders_and_finds_the_first_days_spend():
    """Same-day orders are one transaction; the first day's spend is kept apart."""
    client = Client.objects.create(first_name="S", email="s@example.com")
    base = timezone.now().replace(hour=12) - dt.timedelta(days=50)
    orders_bulk_create(
        Order(client=client, ordered_at=at, amount=amount, status=OrderStatus.KEPT)
        for at, amount in (
            (base, "100.25"),
            (base + dt.timedelta(days=20), "50.00"),
            (base + dt.timedelta(days=20, minutes=5), "30.10"),
        )
    )
    stats = order_stats(as_of=timezone.now(), client_ids=[client.pk])
    assert stats.order_days.tolist() == [2]
    assert stats.n_orders.tolist() == [3]
    assert stats.first_day_amount.tolist() == pytest.approx([100.25])
    assert stats.total_amount.tolist() == pytest.approx([180.35])
    assert stats.last_day[0] - stats.first_day[0] == 20


FIT_COLUMNS = ("r", "alpha", "a", "b", "log_likelihood", "gg_p", "gg_q", "gg_gamma")


def _absurd_orders_add(client: Client) -> None:
    """Give ``client`` orders dated 0001-01-01 and 9999-12-31, skipping validation."""
    orders_bulk_create(
        Order(client=client, ordered_at=at, amount=75, status=OrderStatus.KEPT)
        for at in (
            dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC),
            dt.datetime(9999, 12, 31, 12, tzinfo=dt.UTC),
        )
    )


def test_orders_before_the_business_started_do_not_move_the_fit():
    """An order dated 0001-01-01 (written past validation) leaves the fit as it was.

    The aggregation counts orders from BUSINESS_STARTED_ON to the scoring
    date only, on the full book's parallel path and the single-client path.
    """
    clients = book_create(clients=150)
    as_of = timezone.now()
    clean = clients_rescore(as_of=as_of).model_fit
    single_before = order_stats(as_of=as_of, client_ids=[clients[0].pk])

    _absurd_orders_add(clients[0])
    poisoned = clients_rescore(as_of=as_of).model_fit
    single_after = order_stats(as_of=as_of, client_ids=[clients[0].pk])

    assert poisoned.status == ModelFit.Status.ACCEPTED
    for column in FIT_COLUMNS:
        assert getattr(poisoned, column) == getattr(clean, column), column
    assert poisoned.data_start == clean.data_start
    assert poisoned.data_start >= dt.date(1990, 1, 1)
    assert poisoned.n_clients == clean.n_clients
    assert single_after.first_day.tolist() == single_before.first_day.tolist()
    assert single_after.n_orders.tolist() == single_before.n_orders.tolist()


def test_only_absurd_orders_leave_a_client_unscored():
    """A client whose only order predates the business is not scored at all."""
    book_create(clients=60)
    client = Client.objects.create(first_name="Old", email="old@example.com")
    orders_bulk_create(
        [
            Order(
                client=client,
                ordered_at=dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC),
                amount=10,
                status=OrderStatus.KEPT,
            )
        ]
    )
    run = clients_rescore()
    assert run.n_clients == 60
    assert not ClientScore.objects.filter(client=client).exists()
    assert score_client_one(client_id=client.pk) is None


def _params(fit: ModelFit) -> BgNbdParams:
    return BgNbdParams(
        r=fit.r, alpha=fit.alpha, a=fit.a, b=fit.b, log_likelihood=0.0, n=0
    )


def test_degenerate_fit_is_rejected_and_the_previous_fit_scores():
    """A fit with a parameter on its bound is kept as rejected and not used.

    The run scores with the previous accepted fit, links both, and single
    client rescoring keeps reading the accepted one.
    """
    book_create(clients=120)
    good = clients_rescore().model_fit
    Order.objects.all().delete()
    regulars = regular_book_create(clients=200)
    as_of = timezone.now()

    run = clients_rescore(as_of=as_of)

    rejected = ModelFit.objects.get(status=ModelFit.Status.REJECTED)
    assert rejected.a == pytest.approx(1e-6, rel=1e-3)
    assert "BG/NBD a=1e-06 at its lower bound (1e-06)" in rejected.rejected_reason
    assert run.model_fit == good
    assert run.rejected_fit == rejected
    assert ModelFit.objects.filter(status=ModelFit.Status.ACCEPTED).get() == good
    assert ClientScore.objects.count() == 200

    client = regulars[7]
    full = ScoreSnapshot.objects.get(run=run, client=client)
    one = score_client_one(client_id=client.pk, as_of=as_of)
    assert one.run.model_fit == good
    assert one.churn_risk == pytest.approx(full.churn_risk, abs=1e-6)
    # The scores are the good fit's, and the rejected fit's would differ.
    stats = order_stats(as_of=as_of, client_ids=[client.pk])
    inputs = rfm_inputs(stats=stats, as_of_day=timezone.localtime(as_of).date())
    args = {"frequency": inputs.frequency, "recency": inputs.recency, "T": inputs.T}
    churn = {
        fit.pk: bgnbd_predict(
            params=_params(fit), horizon=settings.SCORING_HORIZON_DAYS, **args
        ).churn_risk[0]
        for fit in (good, rejected)
    }
    assert full.churn_risk == pytest.approx(churn[good.pk], abs=1e-6)
    assert abs(churn[rejected.pk] - churn[good.pk]) > 1e-3


def test_degenerate_first_fit_stops_the_run_before_writing():
    """With no accepted fit to fall back on, the run fails clearly, writing nothing.

    The rejected fit stays on record; no run, snapshot or current score is made.
    """
    regular_book_create(clients=200)
    with pytest.raises(ModelFitRejectedError, match="no earlier accepted fit"):
        clients_rescore()
    assert ModelFit.objects.get().status == ModelFit.Status.REJECTED
    assert not ScoringRun.objects.exists()
    assert not ScoreSnapshot.objects.exists()
    assert not ClientScore.objects.exists()
    assert score_client_one(client_id=Client.objects.first().pk) is None


def test_score_clients_command_warns_about_a_rejected_fit():
    """score_clients names the rejected fit, why, and the fit it scored with."""
    book_create(clients=120)
    good = clients_rescore().model_fit
    Order.objects.all().delete()
    regular_book_create(clients=200)
    out, err = io.StringIO(), io.StringIO()
    call_command("score_clients", stdout=out, stderr=err)
    rejected = ModelFit.objects.get(status=ModelFit.Status.REJECTED)
    assert (
        f"Model fit #{rejected.pk} rejected (BG/NBD a=1e-06 at its lower bound"
        in err.getvalue()
    )
    assert (
        f"scoring with fit #{good.pk} of {good.fitted_at:%Y-%m-%d}." in err.getvalue()
    )
    assert "Scored 200 clients." in out.getvalue()


def test_score_clients_command_fails_clearly_without_an_accepted_fit():
    """A degenerate first fit is a CommandError that says nothing was scored."""
    regular_book_create(clients=200)
    with pytest.raises(CommandError, match="nothing was scored"):
        call_command("score_clients", stdout=io.StringIO(), stderr=io.StringIO())


def test_model_fit_admin_filters_by_status_and_shows_the_reason(admin_client):
    """The fit list filters rejected fits and shows why each was rejected."""
    regular_book_create(clients=200)
    with pytest.raises(ModelFitRejectedError):
        clients_rescore()
    url = reverse("admin:scoring_modelfit_changelist")
    page = admin_client.get(url, {"status__exact": ModelFit.Status.REJECTED})
    assert page.status_code == 200
    assert "a=1e-06 at its lower bound" in page.content.decode()
    assert admin_client.get(url, {"status__exact": "accepted"}).status_code == 200


def test_aggregation_counts_orders_from_the_first_business_day(settings):
    """An order at midnight of BUSINESS_STARTED_ON counts; a second earlier, not.

    The setting is read at scoring time, in the project's time zone, on both
    aggregation paths.
    """
    start = timezone.localdate() - dt.timedelta(days=200)
    settings.BUSINESS_STARTED_ON = start
    midnight = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    client = Client.objects.create(first_name="E", email="edge@example.com")
    orders_bulk_create(
        Order(client=client, ordered_at=at, amount=20, status=OrderStatus.KEPT)
        for at in (
            midnight - dt.timedelta(seconds=1),
            midnight,
            midnight + dt.timedelta(days=30),
        )
    )
    as_of = timezone.now()
    for stats in (
        order_stats(as_of=as_of),
        order_stats(as_of=as_of, client_ids=[client.pk]),
    ):
        assert stats.n_orders.tolist() == [2]
        assert stats.first_day.tolist() == [(start - dt.date(1970, 1, 1)).days]
