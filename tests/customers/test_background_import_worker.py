"""End to end: the admin's background upload, imported by a real Celery worker."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Client, ImportJob, ImportJobStatus
from tests.support.celery_worker import celery_worker  # noqa: F401 - fixture

from .csv_files import clients_csv
from .factories import ManagerFactory, StylistFactory

TIMEOUT_SECONDS = 60


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_background_upload_is_imported_by_a_real_worker(
    celery_worker,  # noqa: F811
    client,
    settings,
    tmp_path,
):
    """The request stores and queues; the worker checks, writes, reports success."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    celery_worker(env={"MEDIA_ROOT": str(media)})
    StylistFactory(username="bench-a")
    client.force_login(ManagerFactory())

    response = client.post(
        "/admin/customers/client/import/",
        {
            "resource": "0",
            "format": "0",
            "background": "on",
            "import_file": SimpleUploadedFile("clients.csv", clients_csv(40)),
        },
    )

    assert response.status_code == 302
    deadline = time.monotonic() + TIMEOUT_SECONDS
    job = ImportJob.objects.get()
    while time.monotonic() < deadline and job.status in (
        ImportJobStatus.QUEUED,
        ImportJobStatus.RUNNING,
    ):
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED, job.errors
    assert job.created_count == 40
    assert Client.objects.count() == 40
    page = client.get(response.url)
    assert b"40 rows imported" in page.content
