"""The background import's file on S3 through django-storages (moto's server)."""

from __future__ import annotations

import runpy
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Client, ImportJob, ImportJobStatus
from customers.services.background_import import (
    import_job_retry,
    import_job_run,
    import_job_start,
)
from customers.services.import_files_cleanup import import_files_cleanup
from tests.customers.csv_files import clients_csv
from tests.customers.factories import ManagerFactory, StylistFactory
from tests.customers.test_import_files_cleanup import cleanup_scenario
from tests.support.moto_server import moto_server_start, moto_server_stop

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "stitchengage-media-test"


@pytest.mark.django_db
def test_background_import_reads_its_file_from_s3(s3_media):
    """Stored under media/imports/ in the bucket, streamed back, then removed."""
    s3 = s3_media
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


# -- S3 refusing: stopped, or the bucket missing (issue 17, "Faults").

CLIENT_IMPORT = "/admin/customers/client/import/"
CLIENT_CONFIRM = "/admin/customers/client/process_import/"
DOWN = "could not be reached"


@pytest.fixture
def s3_media(aws, settings, monkeypatch):
    """Default storage on the local S3 with production's settings; its bucket."""
    s3 = boto3.client("s3", endpoint_url=aws.endpoint_url)
    s3.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", BUCKET)
    production = runpy.run_path(str(ROOT / "stitchengage" / "settings.py"))
    settings.AWS_STORAGE_BUCKET_NAME = production["AWS_STORAGE_BUCKET_NAME"]
    settings.STORAGES = production["STORAGES"]
    # Fail fast: a stopped server is refused at once, not retried for seconds.
    settings.AWS_S3_CLIENT_CONFIG = Config(
        retries={"max_attempts": 1, "mode": "standard"}
    )
    return s3


@pytest.fixture(scope="module")
def stopped_s3():
    """The address of an S3 server that was started and then stopped."""
    server = moto_server_start()
    moto_server_stop(server)
    return server.endpoint_url


def _point_storage_at(settings, endpoint: str | None = None, bucket=None) -> None:
    """Re-point default storage; assigning STORAGES makes Django rebuild it."""
    if endpoint is not None:
        settings.AWS_S3_ENDPOINT_URL = endpoint
    if bucket is not None:
        settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.STORAGES = {**settings.STORAGES}


def _keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _upload(http, content: bytes, *, background: bool):
    data = {
        "resource": "0",
        "format": "0",
        "import_file": SimpleUploadedFile("c.csv", content, content_type="text/csv"),
    }
    if background:
        data["background"] = "on"
    return http.post(CLIENT_IMPORT, data, follow=True)


def _page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
@pytest.mark.parametrize("background", [False, True], ids=["preview", "background"])
@pytest.mark.parametrize("refusal", ["stopped", "bucket-missing"])
def test_an_upload_while_s3_refuses_says_so_and_records_nothing(
    client, s3_media, settings, stopped_s3, background, refusal
):
    """The preview's or the job's upload: a message in words, no job, no rows."""
    StylistFactory(username="bench-a")
    client.force_login(ManagerFactory())
    if refusal == "stopped":
        _point_storage_at(settings, endpoint=stopped_s3)
    else:
        _point_storage_at(settings, bucket="no-such-bucket")

    response = _upload(client, clients_csv(3), background=background)

    assert response.status_code == 200
    assert any(DOWN in m for m in _page_messages(response)), _page_messages(response)
    assert response.redirect_chain[-1][0] == CLIENT_IMPORT
    assert not ImportJob.objects.exists()
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_a_confirm_while_s3_is_down_keeps_the_file_and_works_once_back(
    aws, client, s3_media, settings, stopped_s3
):
    """The stored preview cannot be read: nothing imported, the same confirm
    imports it once S3 answers again."""
    StylistFactory(username="bench-a")
    client.force_login(ManagerFactory())
    preview = client.post(
        CLIENT_IMPORT,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("c.csv", clients_csv(4)),
        },
    )
    confirm = dict(preview.context["confirm_form"].initial)
    assert len(_keys(s3_media)) == 1

    _point_storage_at(settings, endpoint=stopped_s3)
    down = client.post(CLIENT_CONFIRM, confirm, follow=True)

    assert down.status_code == 200
    assert any("file is kept" in m for m in _page_messages(down))
    assert not Client.objects.exists()

    _point_storage_at(settings, endpoint=aws.endpoint_url)
    client.post(CLIENT_CONFIRM, confirm)

    assert Client.objects.count() == 4
    assert _keys(s3_media) == []


@pytest.mark.django_db
@pytest.mark.parametrize("refusal", ["stopped", "bucket-missing"])
def test_a_job_while_s3_refuses_fails_with_a_reason_and_retries_once_back(
    aws, s3_media, settings, stopped_s3, refusal
):
    """Inside the job: failed, saying why, nothing written, the file kept;
    the Retry queues it again and it imports once S3 is back."""
    StylistFactory(username="bench-a")
    job = import_job_start(
        user=ManagerFactory(),
        model="clients",
        upload=ContentFile(clients_csv(5)),
        name="clients.csv",
    )
    if refusal == "stopped":
        _point_storage_at(settings, endpoint=stopped_s3)
    else:
        _point_storage_at(settings, bucket="no-such-bucket")

    job = import_job_run(job_id=job.pk)

    assert job.status == ImportJobStatus.FAILED
    assert len(job.errors) == 1
    assert DOWN in job.errors[0]["message"]
    assert "retry" in job.errors[0]["message"]
    assert not Client.objects.exists()
    assert _keys(s3_media) == [f"media/{job.file_name}"]

    _point_storage_at(settings, endpoint=aws.endpoint_url, bucket=BUCKET)
    assert import_job_retry(job_id=job.pk)
    assert not import_job_retry(job_id=job.pk)  # queued already: once
    job = import_job_run(job_id=job.pk)

    assert job.status == ImportJobStatus.SUCCEEDED, job.errors
    assert Client.objects.count() == 5
    assert _keys(s3_media) == []


@pytest.mark.django_db
def test_a_job_whose_file_is_gone_says_upload_it_again(s3_media):
    """S3 answers but the file was removed: not a storage outage."""
    job = import_job_start(
        user=ManagerFactory(),
        model="clients",
        upload=ContentFile(clients_csv(2)),
        name="clients.csv",
    )
    s3_media.delete_object(Bucket=BUCKET, Key=f"media/{job.file_name}")

    job = import_job_run(job_id=job.pk)

    assert job.status == ImportJobStatus.FAILED
    assert "upload it again" in job.errors[0]["message"]


@pytest.mark.django_db
def test_the_cleanup_removes_old_previews_and_finished_jobs_files_on_s3(
    s3_media, settings
):
    """The same rules on S3 (listing by prefix, LastModified)."""
    cleanup_scenario(settings)
    assert len(_keys(s3_media)) == 2


@pytest.mark.django_db
def test_the_cleanup_with_s3_down_removes_nothing_and_says_nothing(
    s3_media, settings, stopped_s3
):
    """Refused by S3: the run ends quietly (logged); the next one retries."""
    _point_storage_at(settings, endpoint=stopped_s3)
    outcome = import_files_cleanup()
    assert (outcome.previews, outcome.job_files) == (0, 0)
