"""Background import jobs in the admin: read-only, for Managers only.

A job page shows what the task reports (``services.background_import``): status,
rows checked of the total, counts, and every error with its line and field. Who
may see jobs is who may import (Managers, superusers): a job's errors quote the
file's values, and its file is the whole book's. Nobody adds, edits or deletes a
job here; the upload on the import page creates it. A failed job can be
queued again ("Retry"), for a job the file store (S3) failed.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from stitchengage.admin_mixins import ReadOnlyAdminMixin

from . import selectors
from .models import ImportJob, ImportJobStatus
from .services.background_import import MAX_JOB_ERRORS, import_job_retry


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "progress_display",
        "original_name",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "model")
    list_select_related = ("created_by",)
    ordering = ("-created_at", "-id")
    change_form_template = "admin/customers/importjob/change_form.html"
    fields = (
        "model",
        "status",
        "progress_display",
        "original_name",
        "file_size",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "created_count",
        "updated_count",
        "unchanged_count",
        "errors_display",
    )
    readonly_fields = fields
    actions = ("retry_failed",)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and (
            selectors.user_sees_all_clients(request.user)
        )

    @admin.action(description="Retry the selected failed imports")
    def retry_failed(self, request, queryset) -> None:
        """Queue failed jobs again, e.g. once the file store (S3) is back."""
        failed = queryset.filter(status=ImportJobStatus.FAILED)
        retried = sum(
            import_job_retry(job_id=pk) for pk in failed.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            f"{retried} failed import(s) queued again; the others were not failed.",
        )

    @admin.display(description="progress")
    def progress_display(self, job: ImportJob) -> str:
        if job.status == ImportJobStatus.QUEUED:
            return "waiting for a worker"
        total = job.rows_total
        if job.status == ImportJobStatus.RUNNING:
            if job.phase == "writing":
                return f"all {total:,} rows valid; writing them in one transaction"
            if total is None:
                return "counting rows"
            return f"{job.rows_done:,} of {total:,} rows checked"
        if job.status == ImportJobStatus.SUCCEEDED:
            return f"{total:,} rows imported"
        return f"{job.error_count:,} error(s); nothing was imported"

    @admin.display(description="errors")
    def errors_display(self, job: ImportJob) -> str:
        if not job.errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    "" if e.get("line") is None else e["line"],
                    e.get("field", ""),
                    e.get("message", ""),
                )
                for e in job.errors
            ),
        )
        more = job.error_count - len(job.errors)
        note = (
            format_html(
                "<p>… and {} more (the first {} are listed).</p>", more, MAX_JOB_ERRORS
            )
            if more > 0
            else ""
        )
        return format_html(
            '<table class="import-job-errors"><thead><tr><th>line</th><th>field</th>'
            "<th>problem</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            note,
        )
