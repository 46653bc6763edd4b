"""Celery tasks of customers: thin wrappers that fetch by pk and call a service."""

from __future__ import annotations

from celery import shared_task

from customers.services.background_import import import_job_run
from stitchengage.task_retry import database_retry


@shared_task(
    name="customers.import_job_run",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
    # A lost connection while claiming is retried; once claimed, the job's own
    # error handling and its lease decide (a redelivery of a claimed job waits).
    **database_retry(),
)
def import_job_run_task(job_id: int) -> str | None:
    """Run a background CSV import; a redelivery for a claimed job does nothing."""
    job = import_job_run(job_id=job_id)
    return job.status if job else None


@shared_task(
    name="customers.import_files_cleanup",
    # Idempotent, and the next run is an hour away.
    max_retries=0,
    ignore_result=True,
)
def import_files_cleanup_task() -> dict[str, int]:
    """Remove abandoned previews and finished jobs' files (Celery beat)."""
    from dataclasses import asdict

    from customers.services.import_files_cleanup import import_files_cleanup

    return asdict(import_files_cleanup())
