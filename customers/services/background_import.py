"""CSV imports run in the background on a file in storage (S3 in production).

The web request (or ``manage.py import_background``) only stores the file and
enqueues: ``import_job_start``. The task runs ``import_job_run``, whose docstring
numbers the steps. The rows are checked by the admin import's own resources
(``customers.resources``), so a file the admin refuses is refused here with the
same words; a file is all or nothing, as in the admin.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from pathlib import PurePath
from typing import IO, Any

import tablib
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from import_export.results import Result

from customers.csv_rows import CsvFileError, CsvRows, binary_file_check
from customers.models import ImportJob, ImportJobModel, ImportJobStatus
from customers.resources import (
    BookResource,
    ClientJobResource,
    ImportFileError,
    OrderJobResource,
)
from customers.storage_errors import (
    STORAGE_DOWN_WORDS,
    STORAGE_ERRORS,
    StorageUnavailableError,
)

logger = logging.getLogger(__name__)

#: Errors kept on a job (all are counted); the page lists them.
MAX_JOB_ERRORS = 200
#: Stored files live under this prefix of default storage ("media/" on S3).
STORAGE_PREFIX = "imports"

RESOURCES: dict[str, type[BookResource]] = {
    ImportJobModel.CLIENTS: ClientJobResource,
    ImportJobModel.ORDERS: OrderJobResource,
}


class _RefusedError(Exception):
    """Stop the write and roll it back: a row failed although it validated."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        super().__init__("rows no longer validate")
        self.entries = entries


def import_job_start(
    *, user: AbstractBaseUser, model: str, upload: IO[bytes], name: str
) -> ImportJob:
    """Store ``upload`` in default storage, record a job and enqueue its task.

    The task is published on commit, so a worker never looks for a job that is
    not committed yet. Raise ``StorageUnavailableError`` (and record nothing)
    when the store refuses the file.
    """
    from customers.tasks import import_job_run_task

    safe_name = PurePath(name).name[-100:] or "import.csv"
    try:
        stored = default_storage.save(
            f"{STORAGE_PREFIX}/{uuid.uuid4().hex}/{safe_name}",
            File(upload, safe_name),
        )
        size = default_storage.size(stored)
    except STORAGE_ERRORS as exc:
        # No job without its file; a file stored before the failure is left
        # to the cleanup (``import_files_cleanup``).
        logger.warning("Import upload not stored", exc_info=exc)
        raise StorageUnavailableError(
            f"{STORAGE_DOWN_WORDS}: the file was not stored. Try again in a few "
            "minutes."
        ) from None
    job = ImportJob.objects.create(
        created_by=user,
        model=model,
        file_name=stored,
        original_name=name[:255],
        file_size=size,
    )
    import_job_run_task.delay_on_commit(job.pk)
    return job


def import_job_claim(*, job_id: int) -> bool:
    """Move a queued job (or one abandoned past its lease) to running; say if won.

    A conditional update only one caller can win: a redelivered message for a
    job running or finished does nothing.
    """
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS)
    claimed = ImportJob.objects.filter(
        Q(status=ImportJobStatus.QUEUED)
        | Q(status=ImportJobStatus.RUNNING, started_at__lt=stale),
        pk=job_id,
    ).update(status=ImportJobStatus.RUNNING, phase="validating", started_at=now)
    return bool(claimed)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a job's file, all or nothing; return the job (None if not claimed).

    1. Claim the job (queued -> running); a job already running or finished is
       left alone, so a redelivered task does no work twice.
    2. Validate: stream the file from storage in chunks of ``IMPORT_CHUNK_ROWS``
       rows; the resource checks each row exactly as the admin import does but
       saves nothing (``validate_only``: no write lock held, no rollback), and
       file-wide rules (a repeated email) span the chunks. Every error is
       collected with its line and field; progress is saved after each chunk.
    3. Any error: the job fails with its errors; nothing was written.
    4. Write: read the file again and import every chunk in ONE transaction,
       the job marked succeeded inside it, so the rows and the status commit
       together. Rows are not cleaned twice (``validated``); a row that stopped
       being valid meanwhile (someone took its email) fails a constraint or
       the book check, which rolls everything back and fails the job.
    5. Remove the stored file.
    """
    if not import_job_claim(job_id=job_id):
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        entries, total = _validate(job)
        if entries:
            _finish(job, status=ImportJobStatus.FAILED, errors=entries)
        else:
            _write(job, total)
    except (CsvFileError, ImportFileError) as exc:
        message = str(exc)
        _finish(job, status=ImportJobStatus.FAILED, errors=[_entry(message)])
    except STORAGE_ERRORS as exc:
        if isinstance(exc, FileNotFoundError) and _store_reachable():
            _finish(job, status=ImportJobStatus.FAILED, errors=[_file_gone_entry()])
        else:
            # The store is down (or its bucket missing): the file is kept and
            # the job can be retried once it is back (``import_job_retry``).
            logger.warning("Import job %s: storage unavailable", job.pk, exc_info=exc)
            message = f"{STORAGE_DOWN_WORDS}; retry the job once it is back"
            _finish(job, status=ImportJobStatus.FAILED, errors=[_entry(message)])
            job.refresh_from_db()
            return job
    except _RefusedError as refused:
        _finish(job, status=ImportJobStatus.FAILED, errors=refused.entries)
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        _finish(
            job,
            status=ImportJobStatus.FAILED,
            errors=[
                {
                    "line": None,
                    "field": "",
                    "message": "the import failed unexpectedly; nothing was "
                    "imported (the log has the details)",
                }
            ],
        )
    _stored_file_remove(job)
    job.refresh_from_db()
    return job


def _validate(job: ImportJob) -> tuple[list[dict[str, Any]], int]:
    total = sum(len(chunk) + len(problems) for chunk, problems in _chunks(job))
    ImportJob.objects.filter(pk=job.pk).update(rows_total=total)
    if total == 0:
        message = "the file has no rows to import, only its header"
        return [{"line": None, "field": "", "message": message}], 0
    resource = RESOURCES[job.model](validate_only=True)
    entries: list[dict[str, Any]] = []
    seen: set[tuple] = set()  # a refused header is reported by every chunk
    done = 0
    for chunk, problems in _chunks(job):
        found = list(problems)
        if len(chunk):
            # Not a dry run, which would save each row in a transaction and
            # roll it back: validate_only saves nothing.
            found.extend(_result_entries(_chunk_import(resource, chunk, job)))
        for entry in found:
            key = (entry["line"], entry["field"], entry["message"])
            if key not in seen:
                seen.add(key)
                entries.append(entry)
        done += len(chunk) + len(problems)
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done)
    return entries, total


def _chunk_import(
    resource: BookResource, chunk: tablib.Dataset, job: ImportJob
) -> Result:
    """Run one chunk through the resource, with no transaction of its own.

    Validating, there is nothing to roll back; writing, the one transaction
    around the file is enough (a failed row rolls it all back), so neither pass
    pays for a savepoint per row.
    """
    return resource.import_data(
        chunk,
        dry_run=False,
        use_transactions=False,
        raise_errors=False,
        user=job.created_by,
    )


def _result_entries(result) -> list[dict[str, Any]]:
    found = getattr(result, "error_entries", None)
    if found is not None:
        return found
    # The resource did not get to describe the result (its after_import failed).
    message = "the file could not be imported; nothing was imported"
    return [{"line": None, "field": "", "message": message}]


def _write(job: ImportJob, total: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(phase="writing")
    resource = RESOURCES[job.model](validated=True)
    counts = {"new": 0, "update": 0, "skip": 0}
    with transaction.atomic():
        for chunk, problems in _chunks(job):
            if problems:  # the file changed under us: refuse it whole
                raise _RefusedError(problems)
            result = _chunk_import(resource, chunk, job)
            if result.has_errors() or result.has_validation_errors():
                raise _RefusedError(_result_entries(result))
            for kind in counts:
                counts[kind] += result.totals.get(kind, 0)
        resource.file_written()
        _finish(
            job,
            status=ImportJobStatus.SUCCEEDED,
            rows_total=total,
            created_count=counts["new"],
            updated_count=counts["update"],
            unchanged_count=counts["skip"],
        )


def _finish(job: ImportJob, *, status: str, errors=(), **fields) -> None:
    errors = list(errors)
    if status == ImportJobStatus.FAILED and not errors:
        errors = [{"line": None, "field": "", "message": "nothing was imported"}]
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        phase="",
        errors=errors[:MAX_JOB_ERRORS],
        error_count=len(errors),
        finished_at=timezone.now(),
        **fields,
    )


def _chunks(job: ImportJob) -> Iterator[tuple[tablib.Dataset, list[dict[str, Any]]]]:
    """Yield the file's rows as datasets of ``IMPORT_CHUNK_ROWS`` rows.

    Each comes with the problems of the lines read for it (a wrong number of
    cells). The stored file is read as a stream: S3 spools it to a temporary
    file, never the whole file in memory.
    """
    size = settings.IMPORT_CHUNK_ROWS
    with default_storage.open(job.file_name, "rb") as handle:
        start = handle.read(4096)
        binary_file_check(start)
        handle.seek(0)
        rows = CsvRows(_text_lines(handle))
        headers = rows.header_read()
        if not headers:
            raise CsvFileError(
                "the file is empty; the first line must name the columns"
            )
        chunk = _dataset(headers)
        for line, values in rows:
            chunk.append(values)
            chunk.line_numbers.append(line)
            if len(chunk) >= size:
                yield chunk, _problem_entries(rows)
                chunk = _dataset(headers)
        yield chunk, _problem_entries(rows)


def _dataset(headers: list[str]) -> tablib.Dataset:
    dataset = tablib.Dataset(headers=list(headers))
    dataset.line_numbers = []
    return dataset


def _problem_entries(rows: CsvRows) -> list[dict[str, Any]]:
    entries = [
        {"line": line, "field": "", "message": words} for line, words in rows.problems
    ]
    rows.problems.clear()
    return entries


def _text_lines(handle: File) -> Iterator[str]:
    """Decode a stored file line by line as UTF-8, naming the line of a bad byte.

    ``File`` iterates by lines of bytes (LF, CRLF or CR) with their endings,
    which ``csv`` needs to read a quoted value across lines.
    """
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CsvFileError(
                f"line {number}: the file is not UTF-8; re-save it as CSV UTF-8 "
                "(in Excel: Save As, 'CSV UTF-8')"
            ) from None
        yield text.removeprefix("\ufeff") if number == 1 else text


def _entry(message: str) -> dict[str, Any]:
    return {"line": None, "field": "", "message": message}


def _file_gone_entry() -> dict[str, Any]:
    return _entry(
        "the stored file is gone (already imported, or expired); upload it again"
    )


def _store_reachable() -> bool:
    """Say whether the store answers: a missing S3 bucket also reads as 404."""
    try:
        default_storage.listdir(STORAGE_PREFIX)
    except FileNotFoundError:
        return True  # local storage with no imports folder yet
    except STORAGE_ERRORS:
        return False
    return True


def _stored_file_remove(job: ImportJob) -> None:
    """Remove the job's file; if the store is down, the cleanup removes it later."""
    try:
        default_storage.delete(job.file_name)
    except STORAGE_ERRORS:
        logger.warning("Could not remove the stored import %s", job.file_name)


def import_job_retry(*, job_id: int) -> bool:
    """Queue a failed job again; say whether it was failed (and is now queued).

    For a job the file store failed (its file is kept): a conditional update,
    so two clicks queue it once. A job whose file is gone fails again, saying so.
    """
    from customers.tasks import import_job_run_task

    queued = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.FAILED).update(
        status=ImportJobStatus.QUEUED,
        phase="",
        errors=[],
        error_count=0,
        rows_total=None,
        rows_done=0,
        started_at=None,
        finished_at=None,
    )
    if queued:
        import_job_run_task.delay_on_commit(job_id)
    return bool(queued)
