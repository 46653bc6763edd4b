"""Celery tasks of customers: thin wrappers that fetch by pk and call a service."""

from __future__ import annotations

from celery import shared_task

from customers.services.background_import import import_job_run


@shared_task(
    name="customers.import_job_run",
    queue="default",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
)
def import_job_run_task(job_id: int) -> str | None:
    """Run a background CSV import; a redelivery for a claimed job does nothing."""
    job = import_job_run(job_id=job_id)
    return job.status if job else None
