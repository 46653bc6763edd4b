"""A lost database connection: every task that touches the database retries it."""

from __future__ import annotations

import time

import pytest
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from customers.models import Client, Order, OrderStatus
from customers.tasks import import_job_run_task
from emails.tasks import (
    dispatch_sends_task,
    generate_draft_task,
    regenerate_draft_task,
    send_email_task,
)
from scoring.models import ScoreSnapshot
from scoring.services.rescoring import clients_rescore
from scoring.tasks import rescore_all_task, rescore_client_task
from stitchengage.task_retry import DATABASE_MAX_RETRIES
from tests.faults.conftest import (
    database_backends_terminate,
    database_sessions_waiting_on_lock,
)
from tests.scoring.book import book_create
from tests.support.waiting import wait_for

DATABASE_TASKS = [
    rescore_client_task,
    rescore_all_task,
    generate_draft_task,
    regenerate_draft_task,
    send_email_task,
    dispatch_sends_task,
    import_job_run_task,
]


@pytest.mark.parametrize("task", DATABASE_TASKS, ids=lambda task: task.name)
def test_every_database_task_retries_a_lost_connection(task):
    """Each task retries Django's OperationalError and InterfaceError, bounded."""
    assert {OperationalError, InterfaceError} <= set(task.autoretry_for)
    assert task.retry_backoff
    assert 0 < task.retry_kwargs["max_retries"] <= DATABASE_MAX_RETRIES
    assert task.retry_backoff_max <= 300


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_rescore_survives_its_connection_terminated_mid_task(celery_worker):
    """PostgreSQL drops the worker's connection mid-task: the rescore retries, lands.

    The test holds the client's row lock, so the rescore stops inside its
    transaction; its session is then terminated server-side, as a restart or a
    failover does to a statement in flight. The task gets ``OperationalError``;
    once the lock is released the retry, on a fresh connection, writes the score.
    """
    clients = book_create(clients=60)
    clients_rescore()
    client = clients[0]
    Order.objects.bulk_create(
        [
            Order(
                client=client,
                ordered_at=timezone.now(),
                amount=80,
                status=OrderStatus.KEPT,
            )
        ]
    )
    celery_worker(concurrency=2)
    snapshots = ScoreSnapshot.objects.filter(client=client)
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        rescore_client_task.delay(client.pk)
        wait_for(lambda: database_sessions_waiting_on_lock() == 1, "the task to block")
        assert database_backends_terminate(waiting_on_lock=True) == 1
        time.sleep(0.5)  # the task sees its connection die while the lock is held
    wait_for(lambda: snapshots.count() == 2, "the retried rescore")
    assert snapshots.order_by("-pk").first().days_since_last_order == 0
