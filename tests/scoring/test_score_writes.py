"""Bulk writes of a full run on PostgreSQL: snapshots and swapped current scores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Client, Order, OrderStatus, RiskTier
from customers.services.order_facts import clients_order_facts_refresh
from scoring.models import ClientScore, ScoreSnapshot, ScoringRun
from scoring.pg_binary import HEADER, TRAILER, binary_copy_decode, binary_copy_rows
from scoring.selectors import order_stats
from scoring.services.rescoring import clients_rescore
from scoring.services.score_writes import COLUMNS, TIERS, scores_write
from scoring.services.table_swap import table_swap_begin, table_swap_finish
from tests.scoring.book import book_create

pytestmark = pytest.mark.django_db


def binary_copy_encode(columns: dict[str, tuple[np.ndarray, str]]) -> bytes:
    """Encode equal-length arrays as a COPY BINARY payload (name -> (values, dtype)).

    Production streams the rows between the header and trailer itself.
    """
    return HEADER + binary_copy_rows(columns) + TRAILER


def _schema(table: str) -> tuple[set, set]:
    """Return the (index definitions, constraint definitions) of a table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, regexp_replace(indexdef, ' ON \\S+ ', ' ON t ') "
            "FROM pg_indexes WHERE tablename = %s",
            [table],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass",
            [table],
        )
        constraints = set(cursor.fetchall())
    return indexes, constraints


def test_swap_keeps_every_index_and_constraint_name():
    """After the swap the table has the same indexes and constraints, by name."""
    table = ClientScore._meta.db_table
    before = _schema(table)
    assert any("risk_tier, churn_risk" in d for _, d in before[0])
    book_create(clients=60)
    clients_rescore()
    clients_rescore()
    assert _schema(table) == before


def test_current_scores_point_at_this_runs_snapshots():
    """Every current score equals, and links to, the client's snapshot of the run."""
    clients = book_create(clients=80)
    clients_rescore()
    run = clients_rescore()
    assert ClientScore.objects.count() == len(clients)
    for score in ClientScore.objects.select_related("snapshot"):
        snapshot = score.snapshot
        assert snapshot.run_id == run.pk
        assert snapshot.client_id == score.client_id
        assert (score.risk_tier, score.churn_risk, score.clv) == (
            snapshot.risk_tier,
            snapshot.churn_risk,
            snapshot.clv,
        )
    # The second run saw the first run's tiers as the previous ones.
    first_tiers = dict(
        ScoreSnapshot.objects.exclude(run=run).values_list("client_id", "risk_tier")
    )
    for client_id, previous in ScoreSnapshot.objects.filter(run=run).values_list(
        "client_id", "previous_tier"
    ):
        assert previous == first_tiers[client_id]


def test_a_client_with_no_countable_order_left_loses_the_current_score():
    """Once every Fix is canceled, the next full run leaves the client unscored."""
    clients = book_create(clients=40)
    clients_rescore()
    gone = clients[0]
    assert gone.current_tier != RiskTier.UNSCORED
    Order.objects.filter(client=gone).update(status=OrderStatus.CANCELED)
    clients_order_facts_refresh(client_pks=[gone.pk])
    clients_rescore()
    assert Client.objects.get(pk=gone.pk).current_tier == RiskTier.UNSCORED
    assert ClientScore.objects.count() == 39


def test_a_client_deleted_since_the_aggregation_is_skipped_not_orphaned():
    """Snapshots have no row-by-row FK check; the write joins the live clients."""
    clients = book_create(clients=30)
    now = timezone.now()
    stats = order_stats(as_of=now)
    run = ScoringRun.objects.create(trigger=ScoringRun.Trigger.MANUAL)
    n = len(stats)
    columns = {name: np.zeros(n) for name in COLUMNS}
    columns["client_id"] = stats.client_ids
    columns["risk_tier"] = np.full(n, TIERS.index(RiskTier.AT_RISK))
    columns["expected_next_order_in"] = np.full(n, -1)
    for name in ("monetary_component", "keep_rate", "average_rating"):
        columns[name] = np.full(n, np.nan)
    Client.objects.filter(pk=clients[0].pk).delete()
    with transaction.atomic():
        moved = scores_write(
            run=run,
            columns=columns,
            as_of=now,
            as_of_day=timezone.localdate(now),
            replace_all=True,
        )
    assert not ScoreSnapshot.objects.filter(client_id=clients[0].pk).exists()
    assert ScoreSnapshot.objects.filter(run=run).count() == n - 1
    assert len(moved) == n - 1  # unscored -> at_risk for everyone left
    row = ScoreSnapshot.objects.filter(run=run).first()
    assert row.monetary_component is None
    assert row.keep_rate is None
    assert row.expected_next_order_on is None
    assert row.previous_tier == RiskTier.UNSCORED


def test_a_failed_swap_leaves_the_old_table():
    """Nothing of a rebuild is visible if its transaction rolls back."""
    clients = book_create(clients=20)
    clients_rescore()
    before = sorted(ClientScore.objects.values_list("client_id", "churn_risk"))
    seen_inside = []

    def swap_then_fail() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            fresh = table_swap_begin(cursor, ClientScore)
            table_swap_finish(cursor, ClientScore, fresh)
            seen_inside.append(ClientScore.objects.count())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        swap_then_fail()
    assert seen_inside == [0]
    assert sorted(ClientScore.objects.values_list("client_id", "churn_risk")) == before
    assert len(before) == len(clients)


def test_a_referenced_table_is_never_swapped():
    """Dropping a table others point at would break them: refused up front."""
    with connection.cursor() as cursor, pytest.raises(ValueError, match="referenced"):
        table_swap_begin(cursor, Client)


def test_binary_copy_round_trips_through_postgresql():
    """Encoded arrays load into PostgreSQL and come back identical, NaN included."""
    dtypes = {"a": ">i8", "b": ">i2", "c": ">i4", "d": ">f8"}
    values = {
        "a": np.array([1, -2, 2**40]),
        "b": np.array([0, 3, -7]),
        "c": np.array([10, 20, 2**30]),
        "d": np.array([0.5, np.nan, -1e300]),
    }
    payload = binary_copy_encode({k: (values[k], dtypes[k]) for k in dtypes})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE t (a int8, b int2, c int4, d float8)")
        with cursor.cursor.copy("COPY t FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
        cursor.execute("SELECT count(*) FILTER (WHERE d = 'NaN') FROM t")
        assert cursor.fetchone()[0] == 1
        out = bytearray()
        with cursor.cursor.copy("COPY t TO STDOUT (FORMAT BINARY)") as copy:
            for chunk in copy:
                out += chunk
    rows = binary_copy_decode(out, dtypes)
    for name in dtypes:
        np.testing.assert_array_equal(rows[name], values[name])


def test_binary_copy_refuses_ragged_columns_and_unknown_types():
    with pytest.raises(ValueError, match="same length"):
        binary_copy_encode({"a": (np.zeros(2), ">f8"), "b": (np.zeros(3), ">f8")})
    with pytest.raises(ValueError, match="unsupported"):
        binary_copy_encode({"a": (np.zeros(2), "<f4")})


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_parallel_aggregation_equals_the_plain_query(settings, parts):
    """Splitting the book into id ranges changes nothing in the statistics."""
    book_create(clients=90)
    now = timezone.now()
    settings.SCORING_AGGREGATE_PARTS = parts
    whole = order_stats(as_of=now)
    ids = list(Client.objects.values_list("pk", flat=True))
    plain = order_stats(as_of=now, client_ids=ids)  # the unpartitioned query
    assert len(whole) == len(plain) == 90
    for field in whole.__dataclass_fields__:
        np.testing.assert_allclose(getattr(whole, field), getattr(plain, field))


def test_order_saved_or_deleted_updates_the_clients_order_facts():
    """The Fix count and latest Fix follow every order write, whatever its status."""
    client = Client.objects.create(first_name="F", email="facts@example.com")
    now = timezone.now()
    first = Order.objects.create(
        client=client, ordered_at=now - dt.timedelta(days=10), amount=50
    )
    later = Order.objects.create(
        client=client,
        ordered_at=now + dt.timedelta(days=20),
        amount=0,
        status=OrderStatus.SCHEDULED,
    )
    client.refresh_from_db()
    assert (client.order_count, client.last_order_at) == (2, later.ordered_at)
    later.delete()
    client.refresh_from_db()
    assert (client.order_count, client.last_order_at) == (1, first.ordered_at)
