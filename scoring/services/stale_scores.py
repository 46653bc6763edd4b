"""Find clients whose orders are newer than their score, and rescore them again.

The lost-work sweep's scoring half: an order saved while the broker was down
committed, but its ``scoring.rescore_client`` was never published.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from customers.models import Client


def clients_stale_scores(*, now: dt.datetime | None = None) -> list[int]:
    """Return the clients whose latest order is newer than their current score.

    Read through ``Client.last_order_at`` (indexed, kept by every order write):
    a range of the last ``SWEEP_RESCORE_LOOKBACK_HOURS`` that ends
    ``SWEEP_GRACE_SECONDS`` ago, so a rescore still on its way is not doubled.
    A client with no score yet counts as stale. An edit of an older order (a
    return recorded) does not move ``last_order_at``; the nightly run covers it.
    """
    now = now or timezone.now()
    until = now - dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    since = now - dt.timedelta(hours=settings.SWEEP_RESCORE_LOOKBACK_HOURS)
    return list(
        Client.objects.filter(last_order_at__gte=since, last_order_at__lt=until)
        .filter(Q(score__isnull=True) | Q(score__scored_at__lt=F("last_order_at")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def stale_scores_rescore_enqueue(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Publish a rescore for every client with a stale score.

    Return how many were published and how many were found.

    Rescoring is idempotent (a second one writes the same score), so a client
    published twice, by a late original message and the sweep, costs nothing.
    """
    from emails.services.task_queue import task_enqueue_each
    from scoring.tasks import rescore_client_task

    client_ids = clients_stale_scores(now=now)
    return task_enqueue_each(rescore_client_task, client_ids), len(client_ids)
