"""The cleanup of import files (``customers.services.import_files_cleanup``).

Previews never confirmed and finished jobs' files go once older than
``IMPORT_PREVIEW_MAX_AGE_HOURS``; a queued or running job's file stays. On
local storage here; on S3 (moto) in ``tests/aws/test_import_s3.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.models import ImportJob, ImportJobStatus
from customers.services.import_files_cleanup import import_files_cleanup
from customers.tasks import import_files_cleanup_task
from stitchengage.celery import app
from tests.stitchengage.test_zappa_settings import stage_config

from .factories import ManagerFactory


def cleanup_scenario(settings) -> None:
    """Files of every kind; the cleanup removes exactly the old abandoned ones."""
    settings.IMPORT_PREVIEW_MAX_AGE_HOURS = 24
    user = ManagerFactory()

    def stored(name: str) -> str:
        return default_storage.save(name, ContentFile(b"email\na@example.com\n"))

    preview = stored("imports/confirm/0123abcd")
    jobs = {
        status: ImportJob.objects.create(
            created_by=user,
            model="clients",
            status=status,
            file_name=stored(f"imports/{status}00/{status}.csv"),
        )
        for status in ImportJobStatus.values
    }
    orphan = stored("imports/feed00/no-job.csv")
    every = [preview, orphan, *(job.file_name for job in jobs.values())]

    fresh = import_files_cleanup()

    assert (fresh.previews, fresh.job_files, fresh.failed) == (0, 0, 0)
    assert all(default_storage.exists(name) for name in every)

    later = timezone.now() + dt.timedelta(hours=25)
    old = import_files_cleanup(now=later)

    assert (old.previews, old.job_files, old.failed) == (1, 3, 0)
    kept = {name for name in every if default_storage.exists(name)}
    assert kept == {
        jobs[ImportJobStatus.QUEUED].file_name,
        jobs[ImportJobStatus.RUNNING].file_name,
    }


@pytest.mark.django_db
def test_old_previews_and_finished_jobs_files_go_running_ones_stay(settings, tmp_path):
    """On local storage (the demo's)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    cleanup_scenario(settings)


@pytest.mark.django_db
def test_an_empty_store_is_nothing_to_clean(settings, tmp_path):
    """No imports folder yet: nothing removed, no error."""
    settings.MEDIA_ROOT = str(tmp_path / "none")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    outcome = import_files_cleanup()
    assert (outcome.previews, outcome.job_files, outcome.failed) == (0, 0, 0)


@pytest.mark.django_db
def test_celery_beat_schedules_the_cleanup(settings):
    """The data migration created the periodic task at the configured interval."""
    task = PeriodicTask.objects.get(name="Import files cleanup")
    assert task.task == import_files_cleanup_task.name
    assert task.task in app.tasks
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (
        settings.IMPORT_CLEANUP_INTERVAL_MINUTES,
        "minutes",
    )


@pytest.mark.parametrize("stage", ["dev", "production"])
def test_both_stages_run_the_cleanup_on_lambda(stage, settings):
    """Its EventBridge schedule matches IMPORT_CLEANUP_INTERVAL_MINUTES."""
    from stitchengage import zappa_events

    events = stage_config(stage)["events"]
    (cleanup,) = (
        e
        for e in events
        if e["function"] == "stitchengage.zappa_events.import_files_cleanup"
    )
    minutes = settings.IMPORT_CLEANUP_INTERVAL_MINUTES
    assert cleanup["expression"] == f"rate({minutes} minutes)"
    assert callable(zappa_events.import_files_cleanup)
