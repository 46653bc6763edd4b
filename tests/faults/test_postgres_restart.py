"""PostgreSQL restarted mid-rescoring, mid-drafting and mid-sending.

The scenarios run on a cluster of their own (``restart_pg_proc``), so a
``pg_ctl restart -m fast`` disturbs no other test: the setup and the checks run
in ``tests.faults.pg_restart_probe`` subprocesses, the rescoring is
``manage.py score_clients`` and the tasks run on a real worker, all pointed at
that cluster by ``DATABASE_URL``. A fast restart ends every session at once,
as a crash or a failover would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
import redis
from pytest_postgresql import factories as pg_factories

from emails.tasks import send_email_task
from tests.emails.conftest import TEST_API_KEY
from tests.support.celery_worker import ROOT, worker_start, worker_stop
from tests.support.fake_llm_server import FakeLlmServer
from tests.support.ses_standin import SesStandIn
from tests.support.waiting import wait_for

restart_pg_proc = pg_factories.postgresql_proc(port=None, unixsocketdir="/tmp")  # noqa: S108

TEMPLATE = "restart_template"
CLIENTS = 12
LEASE_SECONDS = 4
# The production system check wants the SES events topic; commands run it.
CHECKED_ENV = {
    "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS": (
        "arn:aws:sns:us-east-1:123456789012:stitchengage-ses-events"
    ),
}


def _dsn(proc, dbname: str) -> str:
    auth = f"{proc.user}:{proc.password}" if proc.password else proc.user
    return f"postgres://{auth}@{proc.host}:{proc.port}/{dbname}"


def _admin(proc, sql: str) -> None:
    with psycopg.connect(_dsn(proc, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def restart_template(restart_pg_proc) -> str:
    """Migrate a template database once; each test copies it."""
    _admin(restart_pg_proc, f"CREATE DATABASE {TEMPLATE}")
    env = {**os.environ, **CHECKED_ENV, "DATABASE_URL": _dsn(restart_pg_proc, TEMPLATE)}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return TEMPLATE


@pytest.fixture
def restart_env(restart_pg_proc, restart_template, celery_broker, request) -> dict:
    """A fresh database from the template; the environment that points at it."""
    name = "restart_" + request.node.name.removeprefix("test_")[:40]
    _admin(restart_pg_proc, f"CREATE DATABASE {name} TEMPLATE {restart_template}")
    return {
        **os.environ,
        **CHECKED_ENV,
        "DJANGO_SETTINGS_MODULE": "stitchengage.settings",
        "DATABASE_URL": _dsn(restart_pg_proc, name),
        "CELERY_BROKER_URL": celery_broker,
        "REENGAGEMENT_HOLDOUT_SHARE": "0",
    }


def _probe(env: dict, command: str, *args: int) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.faults.pg_restart_probe",
            command,
            *map(str, args),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _restart(proc) -> None:
    """Restart the cluster: ``-m fast`` ends every session at once."""
    how = ("-m", "fast", "-w", "-l", proc.logfile)
    subprocess.run(
        [proc.executable, "restart", "-D", proc.datadir, *how],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def restart_worker(celery_broker) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(env: dict, **kwargs) -> subprocess.Popen:
        worker_env = {"DATABASE_URL": env["DATABASE_URL"], "SWEEP_GRACE_SECONDS": "0"}
        started.append(
            worker_start(
                broker_url=celery_broker,
                env={**worker_env, "REENGAGEMENT_HOLDOUT_SHARE": "0"} | kwargs,
                concurrency=4,
            )
        )
        return started[-1]

    yield start
    for process in started:
        worker_stop(process)


def _tasks_settled(broker: redis.Redis, queue: str) -> bool:
    """Nothing queued, nor held by the worker (a retry waiting out its backoff
    is an unacked message), twice in a row: a retry is published before the
    try it replaces is acknowledged."""
    for _ in range(2):
        if broker.llen(queue) or broker.hlen("unacked"):
            return False
        time.sleep(0.3)
    return True


def _waiting_on_lock(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def test_restart_mid_rescoring_leaves_old_scores_or_the_whole_new_run(
    restart_pg_proc, restart_env
):
    """The restart lands after the new scores are written, before the swap.

    The test holds a share lock on the score table, so the swap (which needs it
    exclusively) waits with the fresh table and the snapshots written; the
    restart then ends the run. The old run's scores stand, nothing of the new
    run is left; scored again, the new run is complete.
    """
    before = _probe(restart_env, "book", 2000)
    assert before["scores"] > 1000
    assert before["orphan_snapshots"] == 0
    dsn = restart_env["DATABASE_URL"]
    lock = psycopg.connect(dsn)
    lock.execute("LOCK TABLE scoring_clientscore IN ACCESS SHARE MODE")
    run = subprocess.Popen(
        [sys.executable, "manage.py", "score_clients", "-v", "0"],
        cwd=ROOT,
        env=restart_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: _waiting_on_lock(dsn) == 1, "the swap to wait", 60.0)
        _restart(restart_pg_proc)
        _, stderr = run.communicate(timeout=30)
    finally:
        run.kill()
        lock.close()
    assert run.returncode != 0
    assert "OperationalError" in stderr or "terminat" in stderr, stderr[-2000:]
    assert _probe(restart_env, "scores") == before

    subprocess.run(
        [sys.executable, "manage.py", "score_clients", "-v", "0"],
        cwd=ROOT,
        env=restart_env,
        check=True,
        timeout=120,
    )
    after = _probe(restart_env, "scores")
    assert after["runs"] == before["runs"] + 1
    assert after["scores"] == before["scores"]
    assert after["score_runs"] == [max(after["snapshots_per_run"])]
    assert after["snapshots"] == 2 * before["snapshots"]
    assert (after["orphan_snapshots"], after["swap_tables"]) == (0, 0)


@pytest.mark.worker
def test_restart_mid_drafting_one_draft_per_client(
    restart_pg_proc, restart_env, restart_worker, celery_broker
):
    """12 drafts with 1-second answers meet a restart: one draft each, none lost."""
    with FakeLlmServer(latency=1.0) as server:
        restart_worker(
            restart_env,
            OPENROUTER_API_KEY=TEST_API_KEY,
            LLM_BASE_URL=server.base_url,
            LLM_MAX_ATTEMPTS="1",
            DRAFTING_LEASE_SECONDS=str(LEASE_SECONDS),
        )
        clients = _probe(restart_env, "at_risk", CLIENTS)["clients"]
        wait_for(lambda: len(server.requests) >= 2, "the first drafts to be asked")
        _restart(restart_pg_proc)
        broker = redis.Redis.from_url(celery_broker)

        def drafted() -> Counter:
            emails = _probe(restart_env, "emails")["emails"]
            return Counter(c for _, c, s in emails if s == "pending_review")

        wait_for(lambda: _tasks_settled(broker, "llm"), "the drafts' retries", 60.0)
        time.sleep(LEASE_SECONDS + 0.5)
        _probe(restart_env, "sweep")  # the way forward for a claim the restart cut
        wait_for(lambda: len(drafted()) == CLIENTS, "every draft", 60.0)
        emails = _probe(restart_env, "emails")["emails"]
        asked = len(server.requests)
    assert Counter(c for _, c, _ in emails) == Counter(dict.fromkeys(clients, 1))
    assert asked > CLIENTS  # the restart cut drafts whose answers were lost


@pytest.mark.worker
def test_restart_mid_sending_each_email_at_most_once_and_none_lost(
    restart_pg_proc, restart_env, restart_worker, celery_broker
):
    """12 sends at 4/s, each 1 s at SES, meet a restart: SES accepts none twice;
    the stuck ones are settled as a reviewer would, then each is sent once."""
    with SesStandIn(latency=1.0) as ses:
        restart_worker(
            restart_env,
            EMAIL_BACKEND="django_ses.SESBackend",
            AWS_ENDPOINT_URL=ses.endpoint_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_SES_REGION_NAME="us-east-1",
            AWS_MAX_ATTEMPTS="1",
            DEFAULT_FROM_EMAIL="stylists@example.com",
            SEND_RATE_LIMIT="4/s",
        )
        ids = _probe(restart_env, "approved", CLIENTS)["emails"]
        for pk in ids:
            send_email_task.delay(pk)
        wait_for(lambda: len(ses.calls) >= 3, "the first sends")
        _restart(restart_pg_proc)
        broker = redis.Redis.from_url(celery_broker)

        def statuses() -> dict[int, str]:
            return {pk: s for pk, _, s in _probe(restart_env, "emails")["emails"]}

        wait_for(lambda: _tasks_settled(broker, "send"), "the sends' retries", 60.0)
        assert set(statuses().values()) <= {"sent", "sending"}
        accepted = Counter(int(c.email_id) for c in ses.calls if c.status == 200)
        assert max(accepted.values()) == 1
        # The restart cut calls in flight: SES took them, the record did not land.
        assert "sending" in statuses().values()
        _probe(restart_env, "unstick", *accepted)
        wait_for(
            lambda: set(statuses().values()) == {"sent"}, "the settled sends", 60.0
        )
        accepted = Counter(int(c.email_id) for c in ses.calls if c.status == 200)
    assert accepted == Counter(dict.fromkeys(ids, 1))
