"""Set up and inspect the PostgreSQL-restart scenarios on their own cluster.

Run as ``python -m tests.faults.pg_restart_probe <command> [n]`` with
``DATABASE_URL`` naming that cluster: the test process's Django stays on the
session database, which a restart must not disturb. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys

import django


def _book(n: int) -> dict:
    from scoring.services.rescoring import clients_rescore
    from tests.scoring.book import book_create

    book_create(clients=n)
    clients_rescore()
    return _scores()


def _scores() -> dict:
    from django.db import connection

    from scoring.models import ClientScore, ScoreSnapshot, ScoringRun

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'swap_%%'")
        swap_tables = cursor.fetchone()[0]
    runs = ScoringRun.objects.exclude(trigger=ScoringRun.Trigger.ORDER)
    return {
        "runs": runs.count(),
        "unfinished_runs": runs.filter(finished_at__isnull=True).count(),
        "scores": ClientScore.objects.count(),
        "score_runs": sorted(
            set(ClientScore.objects.values_list("snapshot__run_id", flat=True))
        ),
        "snapshots": ScoreSnapshot.objects.count(),
        "orphan_snapshots": ScoreSnapshot.objects.filter(
            run__finished_at__isnull=True
        ).count(),
        "snapshots_per_run": sorted(
            ScoreSnapshot.objects.values_list("run_id", flat=True).distinct()
        ),
        "swap_tables": swap_tables,
    }


def _at_risk(n: int) -> dict:
    from django.db import transaction

    from tests.customers.factories import ClientFactory
    from tests.emails.conftest import snapshot_make

    ids = []
    for i in range(n):
        client = ClientFactory(email=f"restart{i}@example.com")
        with transaction.atomic():
            snapshot_make(client)  # publishes the draft on commit
        ids.append(client.pk)
    return {"clients": ids}


def _approved(n: int) -> dict:
    from tests.customers.factories import ClientFactory
    from tests.emails.factories import approved_email

    ids = []
    for i in range(n):
        email = approved_email(
            client=ClientFactory(email=f"restart-send{i}@example.com")
        )
        ids.append(email.pk)
    return {"emails": ids}


def _emails() -> dict:
    from emails.models import ReengagementEmail

    rows = list(ReengagementEmail.objects.values_list("pk", "client_id", "status"))
    return {"emails": [list(row) for row in rows]}


def _sweep() -> dict:
    from emails.tasks import lost_work_sweep_task

    lost_work_sweep_task.delay()
    return {}


def _unstick(*accepted: int) -> dict:
    """Settle each stuck email as a reviewer would after checking SES."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from emails.services.sending import emails_stuck_in_sending
    from emails.services.stuck_sends import stuck_send_confirm_sent, stuck_send_retry

    reviewer, _ = get_user_model().objects.get_or_create(
        username="rev", defaults={"is_superuser": True, "is_staff": True}
    )
    stuck = list(emails_stuck_in_sending(older_than=dt.timedelta(0)))
    for email in stuck:
        settle = stuck_send_confirm_sent if email.pk in accepted else stuck_send_retry
        settle(email=email, actor=reviewer)
    return {"unstuck": [email.pk for email in stuck]}


COMMANDS = {
    "book": _book,
    "scores": _scores,
    "at_risk": _at_risk,
    "approved": _approved,
    "emails": _emails,
    "sweep": _sweep,
    "unstick": _unstick,
}


def main(argv: list[str]) -> None:
    django.setup()
    command, *args = argv
    print(json.dumps(COMMANDS[command](*map(int, args))))


if __name__ == "__main__":
    main(sys.argv[1:])
