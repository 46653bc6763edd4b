"""Workers SIGKILLed mid-drafting and mid-sending, 20 times each.

Each kill takes a prefork child of a real worker at a kill point
(``tests.support.kill_points``): drafting after the model answered and before
the draft is saved, sending inside the provider call. The parent requeues the
message at once (``acks_late``, ``reject_on_worker_lost``) and forks a new
child, so a cycle costs well under a second instead of a worker's boot; what is
tested is the same, a task dying between its claim and its record. Afterwards
every client has exactly one draft, no email reached the provider twice, and
every email left behind has its way forward: the drafting lease and the
lost-work sweep, or the stuck-send path a reviewer takes.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from emails.models import EmailStatus, ReengagementEmail
from emails.services.sending import emails_stuck_in_sending
from emails.services.stuck_sends import stuck_send_retry
from emails.tasks import lost_work_sweep_task, send_email_task
from tests.customers.factories import ClientFactory
from tests.emails.conftest import TEST_API_KEY, snapshot_make
from tests.emails.factories import approved_email
from tests.support.fake_llm_server import FakeLlmServer
from tests.support.waiting import wait_for

KILLS = 20
LEASE_SECONDS = 5


def _kill_at(marker: Path) -> None:
    """Wait for a task to stop at ``marker``'s kill point, then SIGKILL it."""
    wait_for(lambda: marker.exists() and marker.read_text(), f"{marker.name}")
    os.kill(int(marker.read_text()), signal.SIGKILL)


def _worker(celery_worker, kill_dir: Path, **env: str):
    return celery_worker(
        env={
            "KILL_DIR": str(kill_dir),
            "DB_POOL_MAX_SIZE": "0",  # no pool shared across forks
            "REENGAGEMENT_HOLDOUT_SHARE": "0",
            "SWEEP_GRACE_SECONDS": "0",
            "DRAFTING_LEASE_SECONDS": str(LEASE_SECONDS),
            "CELERY_WORKER_LOST_WAIT": "0.1",  # requeue a killed child's task now
            **env,
        },
        concurrency=2,  # one child takes the next task while another restarts
        pool="prefork",
        include=("tests.support.kill_points",),
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_killed_after_the_model_answered_one_draft_per_client(
    celery_worker, broker, tmp_path
):
    """20 drafts each lose their worker after the answer: still one draft each."""
    with FakeLlmServer() as server:
        _worker(
            celery_worker,
            tmp_path,
            KILL_POINT="after_llm",
            OPENROUTER_API_KEY=TEST_API_KEY,
            LLM_BASE_URL=server.base_url,
            LLM_MAX_ATTEMPTS="1",
        )
        clients = []
        for i in range(KILLS):
            client = ClientFactory(first_name=f"Kill{i}", email=f"kill{i}@example.com")
            with transaction.atomic():
                snapshot_make(client)
            _kill_at(tmp_path / f"after_llm-Kill{i}")
            clients.append(client.pk)
        emails = ReengagementEmail.objects.filter(client__in=clients)
        # A killed draft stays claimed: its redelivery drafts it only once the
        # lease has run out (the worker is presumed dead), else the sweep does.
        wait_for(lambda: broker.llen("llm") == 0, "the redeliveries to be taken")
        time.sleep(LEASE_SECONDS + 0.5)
        lost_work_sweep_task.delay()  # the way forward: the lease has run out
        wait_for(
            lambda: emails.filter(status=EmailStatus.PENDING_REVIEW).count() == KILLS,
            "the sweep to draft the abandoned emails",
        )
        answered = server.statuses.count(200)
    per_client = Counter(emails.values_list("client_id", flat=True))
    assert per_client == Counter(dict.fromkeys(clients, 1))
    assert answered == 2 * KILLS  # the lost answer, and the one that was saved


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_killed_mid_send_never_sent_twice_and_never_stranded(
    celery_worker, broker, tmp_path
):
    """20 sends lose their worker inside the provider call: none is sent again
    automatically; each is listed as stuck and a reviewer's "send again" sends
    it exactly once."""
    outbox = tmp_path / "outbox"
    _worker(
        celery_worker,
        tmp_path,
        EMAIL_BACKEND="tests.support.kill_points.OnceStallingFileBackend",
        EMAIL_FILE_PATH=str(outbox),
    )
    emails = []
    for i in range(KILLS):
        email = approved_email(client=ClientFactory(email=f"send{i}@example.com"))
        send_email_task.delay(email.pk)
        _kill_at(tmp_path / f"in_send-{email.pk}")
        emails.append(email.pk)
    wait_for(lambda: broker.llen("send") == 0, "the redeliveries to be taken")
    time.sleep(1.0)
    sent_log = tmp_path / "sent.log"
    assert not sent_log.exists()  # no redelivery called the provider again
    stuck = emails_stuck_in_sending(older_than=dt.timedelta(0))
    assert sorted(stuck.values_list("pk", flat=True)) == emails

    reviewer = get_user_model().objects.create_superuser("rev", "rev@example.com", "x")
    for email in stuck:
        stuck_send_retry(email=email, actor=reviewer)
    queryset = ReengagementEmail.objects.filter(pk__in=emails)
    wait_for(
        lambda: queryset.filter(status=EmailStatus.SENT).count() == KILLS,
        "the reviewer's sends",
    )
    calls = Counter(sent_log.read_text().split())
    assert calls == Counter({str(pk): 1 for pk in emails})
