"""Holdout assignments (the pipeline's record) and suppressions (Managers')."""

from __future__ import annotations

from django.contrib import admin

from stitchengage.admin_mixins import ReadOnlyAdminMixin
from stitchengage.admin_query import SafeListQueryMixin


class RetentionAssignmentAdmin(
    ReadOnlyAdminMixin, SafeListQueryMixin, admin.ModelAdmin
):
    """Written by the pipeline only: an experiment's record must not be edited."""

    list_display = (
        "client",
        "group",
        "experiment",
        "prompt_version",
        "holdout_share",
        "assigned_at",
    )
    list_filter = ("group", "experiment", "prompt_version")
    list_select_related = ("client",)
    search_fields = ("=client__email",)
    raw_id_fields = ("client", "snapshot")
    show_full_result_count = False


class SuppressionAdmin(SafeListQueryMixin, admin.ModelAdmin):
    """Managers add and lift suppressions; others may only look."""

    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
    show_full_result_count = False
