"""Celery tasks of the API: fetch nothing, call one service."""

from __future__ import annotations

from celery import shared_task

from api.services.order_events import clients_rescore_enqueue


@shared_task(
    name="api.clients_rescore_enqueue",
    acks_late=True,
    reject_on_worker_lost=True,
)
def clients_rescore_enqueue_task(client_ids: list[int]) -> int:
    """Publish one ``scoring.rescore_client`` per client of a committed batch."""
    return clients_rescore_enqueue(client_ids=client_ids)
