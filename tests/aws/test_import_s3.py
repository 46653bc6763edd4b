"""The background import's file on S3 through django-storages (moto's server)."""

from __future__ import annotations

import runpy
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile

from customers.models import Client, ImportJobStatus
from customers.services.background_import import import_job_run, import_job_start
from tests.customers.csv_files import clients_csv
from tests.customers.factories import ManagerFactory, StylistFactory

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "stitchengage-media-test"


@pytest.mark.django_db
def test_background_import_reads_its_file_from_s3(aws, settings, monkeypatch):
    """Stored under media/imports/ in the bucket, streamed back, then removed."""
    s3 = boto3.client("s3", endpoint_url=aws.endpoint_url)
    s3.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", BUCKET)
    production = runpy.run_path(str(ROOT / "stitchengage" / "settings.py"))
    settings.AWS_STORAGE_BUCKET_NAME = production["AWS_STORAGE_BUCKET_NAME"]
    settings.STORAGES = production["STORAGES"]
    StylistFactory(username="bench-a")

    job = import_job_start(
        user=ManagerFactory(),
        model="clients",
        upload=ContentFile(clients_csv(30)),
        name="clients.csv",
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [f"media/{job.file_name}"]
    assert job.file_name.startswith("imports/")

    job = import_job_run(job_id=job.pk)

    assert job.status == ImportJobStatus.SUCCEEDED, job.errors
    assert Client.objects.count() == 30
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
