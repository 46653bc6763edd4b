"""Celery tasks of scoring: thin wrappers that fetch by pk and call a service."""

from __future__ import annotations

from celery import shared_task

from customers.models import Client
from scoring.models import ScoringRun
from scoring.services.nightly import scoring_nightly
from scoring.services.rescoring import clients_rescore, score_client_one
from stitchengage.task_retry import database_retry


@shared_task(
    name="scoring.rescore_client",
    acks_late=True,
    reject_on_worker_lost=True,
    **database_retry(extra=(ConnectionError,)),
)
def rescore_client_task(client_id: int) -> str | None:
    """Rescore one client with the latest fit after their orders changed."""
    if not Client.objects.filter(pk=client_id).exists():
        return None
    snapshot = score_client_one(client_id=client_id)
    return snapshot.risk_tier if snapshot else None


@shared_task(
    name="scoring.rescore_all",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
    time_limit=60 * 30,
    # The run writes in one transaction, so a lost connection leaves nothing
    # half-written; try twice more, not eight times, for a half-hour job.
    **database_retry(max_retries=2),
)
def rescore_all_task(trigger: str = ScoringRun.Trigger.NIGHTLY) -> int:
    """Refit and rescore the whole book; the nightly job also thins snapshots."""
    if trigger == ScoringRun.Trigger.NIGHTLY:
        return scoring_nightly().pk
    return clients_rescore(trigger=trigger).pk
