"""Remove the imports' files nobody will read again from default storage.

A preview never confirmed leaves its upload under ``imports/confirm/``; a job
whose file could not be removed when it finished (the store was down), or
that failed and was never retried, leaves ``imports/<uuid>/<name>``; an
upload whose job was never recorded leaves its file too. Run every
``IMPORT_CLEANUP_INTERVAL_MINUTES`` (Celery beat "Import files cleanup"; Zappa
event ``import_files_cleanup`` on Lambda), it deletes such files once older
than ``IMPORT_PREVIEW_MAX_AGE_HOURS``, and never the file of a job queued or
running: that job reads it.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from customers.models import ImportJob, ImportJobStatus
from customers.services.background_import import STORAGE_PREFIX
from customers.storage_errors import STORAGE_ERRORS

logger = logging.getLogger(__name__)

#: The admin preview's uploads (``admin_import.ConfirmStorage``).
CONFIRM_FOLDER = f"{STORAGE_PREFIX}/confirm"


@dataclass(frozen=True, slots=True)
class ImportFilesCleanup:
    """Say what one cleanup removed and what it left for the next run."""

    previews: int  # unconfirmed previews removed
    job_files: int  # files of finished jobs (or of no job) removed
    failed: int  # removals the store refused: left for the next run


def import_files_cleanup(*, now: dt.datetime | None = None) -> ImportFilesCleanup:
    """Delete previews and finished jobs' files older than the setting.

    A store that cannot be reached ends the run quietly (logged): the next
    run tries again.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(
        hours=settings.IMPORT_PREVIEW_MAX_AGE_HOURS
    )
    previews = job_files = failed = 0
    try:
        for name in _files(CONFIRM_FOLDER):
            if _older(name, cutoff):
                removed = _remove(name)
                previews += removed
                failed += not removed
        in_use = set(
            ImportJob.objects.filter(
                status__in=(ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
            ).values_list("file_name", flat=True)
        )
        folders, _ = _listdir(STORAGE_PREFIX)
        for folder in folders:
            if folder == posixpath.basename(CONFIRM_FOLDER):
                continue
            for name in _files(f"{STORAGE_PREFIX}/{folder}"):
                if name not in in_use and _older(name, cutoff):
                    removed = _remove(name)
                    job_files += removed
                    failed += not removed
    except STORAGE_ERRORS as exc:
        logger.warning("Import files cleanup: storage unavailable", exc_info=exc)
    return ImportFilesCleanup(previews=previews, job_files=job_files, failed=failed)


def _listdir(folder: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(folder)
    except FileNotFoundError:  # local storage: no such folder yet
        return [], []


def _files(folder: str) -> list[str]:
    return [f"{folder}/{name}" for name in _listdir(folder)[1]]


def _older(name: str, cutoff: dt.datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) < cutoff
    except FileNotFoundError:  # removed meanwhile (a confirm, a job)
        return False


def _remove(name: str) -> bool:
    try:
        default_storage.delete(name)
    except STORAGE_ERRORS as exc:
        logger.warning("Import files cleanup: could not remove %s", name, exc_info=exc)
        return False
    return True
