"""The admin's CSV import and export screens (django-import-export), made safe.

Who may import: a user who may add *and* change the model *and* sees the whole
book (``selectors.user_sees_all_clients``), that is Managers and superusers. An
import can create and rewrite hundreds of records in one go; a stylist's book
is a subset of the table the file names records of, and a reviewer only reads.
Everyone else gets 403 on the page, the upload and the confirm, and no Import
button. The resources check each row again (``customers.resources``).

Export needs view permission and exports the admin's queryset, which
``get_queryset`` has already narrowed to the user's book.

A file is all or nothing, and its problems are shown in words, one per line,
never as a traceback.

Size: a web request must finish inside API Gateway's 29 s and fit Lambda's
payload, so an upload over ``IMPORT_MAX_UPLOAD_BYTES`` is refused with a sentence
saying how to import it instead, and one over ``IMPORT_SYNC_MAX_BYTES`` (or with
"Import in the background" ticked) is only stored and queued
(``services.background_import``); its job page shows progress and errors.
"""

from __future__ import annotations

import csv
import io
import logging

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.tmp_storages import MediaStorage

from . import selectors
from .csv_rows import CsvFileError, CsvRows, binary_file_check
from .export_formats import EXPORT_FORMATS
from .models import ImportJobModel
from .resources import MAX_LISTED, ImportFileError
from .services.background_import import STORAGE_PREFIX, import_job_start
from .storage_errors import (
    STORAGE_DOWN_WORDS,
    STORAGE_ERRORS,
    StorageUnavailableError,
)

logger = logging.getLogger(__name__)


class CheckedCSV(base_formats.CSV):
    """CSV read with its line numbers, refusing rows with more or fewer cells.

    tablib would raise ``InvalidDimensions`` for a row with an extra cell (an
    unquoted "1,000.00"), pad a short one with blanks (blanking those fields),
    and drop blank lines, so that row numbers no longer match the file's lines.
    Trailing empty cells (a spreadsheet's stray commas) are dropped.
    """

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            binary_file_check(in_stream[:4096])
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        # A BOM left by a caller that decoded with plain "utf-8".
        in_stream = in_stream.removeprefix("\ufeff")
        binary_file_check(in_stream[:4096].encode())
        rows = CsvRows(io.StringIO(in_stream, newline=""))
        dataset = tablib.Dataset()
        dataset.line_numbers = []
        headers = rows.header_read()
        if not headers:
            raise ImportFileError(
                "the file is empty; the first line must name the columns"
            )
        dataset.headers = headers
        for line, values in rows:
            dataset.append(values)
            dataset.line_numbers.append(line)
        if rows.problems:
            problems = [f"line {line}: {words}" for line, words in rows.problems]
            more = len(problems) - MAX_LISTED
            raise ImportFileError(
                "; ".join(problems[:MAX_LISTED])
                + (f"; and {more} more" if more > 0 else "")
                + " (a value with a comma must be in double quotes)"
            )
        return dataset


def _read_error_words(error: Exception) -> str:
    if isinstance(error, ImportFileError | CsvFileError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        line = error.object[: error.start].count(b"\n") + 1
        return (
            f"line {line}: the file is not UTF-8; re-save it as CSV UTF-8 "
            "(in Excel: Save As, 'CSV UTF-8')"
        )
    if isinstance(error, STORAGE_ERRORS) and not isinstance(error, FileNotFoundError):
        return f"{STORAGE_DOWN_WORDS}; try again in a few minutes"
    if isinstance(error, csv.Error):
        return f"the file is not a readable CSV file ({error})"
    return f"the file could not be read as CSV ({type(error).__name__})"


def upload_limit_words(size: int) -> str:
    """Say why a file is too large for the web and how to import it instead."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    return (
        f"The file is {filesizeformat(size)}; the web import takes files up to "
        f"{filesizeformat(limit)}. Nothing was imported. Split it into smaller "
        "files, or import it in the background from storage: "
        "'manage.py import_background clients|orders FILE --user YOU' (a local "
        "path, or a name already in the media storage, e.g. uploaded to S3). "
        "Transactions CSVs (customer_id,date,amount) can use "
        "'manage.py import_orders FILE'."
    )


class BookImportForm(ImportForm):
    """The import form, with the size limit and the background choice."""

    background = forms.BooleanField(
        required=False,
        label="Import in the background",
        help_text="Only store the file and import it in a background job: for "
        "large files. Files over the page's limit go there by themselves.",
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(upload_limit_words(upload.size))
        return upload

    def goes_to_background(self) -> bool:
        upload = self.cleaned_data["import_file"]
        return bool(self.cleaned_data.get("background")) or (
            upload.size > settings.IMPORT_SYNC_MAX_BYTES
        )


class ConfirmStorage(MediaStorage):
    """The preview's upload in default storage, removed quietly after confirm.

    The rows are committed when the file is removed; a store down at that
    moment must not turn a finished import into an error page (the cleanup,
    ``import_files_cleanup``, removes the file later).
    """

    def remove(self):
        try:
            super().remove()
        except STORAGE_ERRORS:
            logger.warning("Could not remove the confirmed import %s", self.name)


class AllOrNothingImportMixin:
    """Import for Managers only, all or nothing, with errors in words.

    Also refuses the whole file at the confirm step if any row no longer
    validates: the preview already refuses a bad file; this closes the gap where
    a row turns invalid between preview and confirm (someone else took its email
    meanwhile).
    """

    import_template_name = "admin/customers/import.html"
    import_error_display = ("message",)
    import_form_class = BookImportForm
    # The preview's upload waits for the confirm request in default storage (S3
    # in production), not in this instance's /tmp: on Lambda the confirm may
    # reach another instance. The posted name is reduced to its basename by
    # import-export's ConfirmImportForm, so it stays inside this folder.
    tmp_storage_class = "customers.admin_import.ConfirmStorage"

    def get_tmp_storage_class_kwargs(self):
        return {"MEDIA_FOLDER": f"{STORAGE_PREFIX}/confirm"}

    def has_import_permission(self, request) -> bool:
        return (
            self.has_add_permission(request)
            and self.has_change_permission(request)
            and selectors.user_sees_all_clients(request.user)
        )

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_import_formats(self):
        return [CheckedCSV]

    def get_export_formats(self):
        # CSV and XLSX only, both neutralising formulas (customers.export_formats).
        return [f for f in EXPORT_FORMATS if f().can_export()]

    def add_data_read_fail_error_to_form(self, form, e):
        if not isinstance(e, ImportFileError | CsvFileError | UnicodeDecodeError):
            logger.warning("Import file could not be read", exc_info=e)
        form.add_error("import_file", _read_error_words(e))

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_max_bytes"] = settings.IMPORT_MAX_UPLOAD_BYTES
        context["import_sync_max_bytes"] = settings.IMPORT_SYNC_MAX_BYTES
        return context

    def import_action(self, request, **kwargs):
        if request.method == "POST":
            if not self.has_import_permission(request):
                raise PermissionDenied
            form = self.create_import_form(request)
            if form.is_valid() and form.goes_to_background():
                return self._background_start(request, form)
        try:
            response = super().import_action(request, **kwargs)
        except STORAGE_ERRORS as exc:
            # Storing the preview's upload failed: no preview, nothing written.
            logger.warning("Import preview not stored", exc_info=exc)
            return self._refused(
                request,
                f"{capfirst(STORAGE_DOWN_WORDS)}: the file was not stored. Try "
                "again in a few minutes.",
            )
        if isinstance(response, TemplateResponse) and response.context_data:
            result = response.context_data.get("result")
            if result is not None:
                response.context_data["import_errors"] = _result_messages(result)
        return response

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except (FileNotFoundError, ImportFileError, UnicodeDecodeError) as exc:
            # The stored upload is gone: a second click on Confirm (the first
            # import removed it) or a cleaned temp folder.
            logger.info("Import confirm without its stored file: %s", exc)
            return self._refused(
                request,
                "The uploaded file is no longer available (already imported, or "
                "expired); nothing was imported. Upload it again.",
            )
        except STORAGE_ERRORS as exc:
            # Reading the stored upload failed before any row was imported; it
            # stays in storage, so the same confirm works once S3 is back.
            logger.warning("Import confirm could not read its file", exc_info=exc)
            return self._refused(
                request,
                f"{capfirst(STORAGE_DOWN_WORDS)}. The uploaded file is kept: go "
                "back and confirm again in a few minutes.",
            )

    def _refused(self, request, words: str):
        """Back to the import page, saying why nothing was imported."""
        messages.error(request, words)
        return self._import_page_redirect()

    def _background_start(self, request, form):
        """Store the upload and queue its import: the request does nothing else."""
        upload = form.cleaned_data["import_file"]
        model = (
            ImportJobModel.CLIENTS
            if self.model._meta.model_name == "client"
            else ImportJobModel.ORDERS
        )
        try:
            job = import_job_start(
                user=request.user, model=model, upload=upload, name=upload.name
            )
        except StorageUnavailableError as exc:
            return self._refused(request, capfirst(str(exc)))
        messages.success(
            request,
            f"{upload.name} is stored and queued as import #{job.pk}: every row "
            "is checked first, then all are imported or none. This page shows "
            "its progress and any errors.",
        )
        return HttpResponseRedirect(
            reverse("admin:customers_importjob_change", args=[job.pk])
        )

    def _import_page_redirect(self):
        info = self.get_model_info()
        return HttpResponseRedirect(reverse(f"admin:{info[0]}_{info[1]}_import"))

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request, "The file no longer validates; nothing was imported."
            )
            for line in _result_messages(result)[:MAX_LISTED]:
                messages.error(request, line)
            return self._import_page_redirect()
        return super().process_result(result, request)


def _result_messages(result) -> list[str]:
    found = getattr(result, "error_messages", None)
    if found is not None:
        return found
    # The resource did not get to describe the result (its after_import failed).
    return ["the file could not be imported; nothing was imported"]
