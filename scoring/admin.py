"""Read-only admin screens for model fits, scoring runs and score history."""

from __future__ import annotations

from django.contrib import admin

from customers.admin import OwnClientsMixin, tier_badge
from customers.selectors import user_is_stylist_only, user_sees_all_clients

from .models import ModelFit, ScoreSnapshot, ScoringRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit data is written by the scoring service only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelFit)
class ModelFitAdmin(ReadOnlyAdmin):
    list_display = (
        "fitted_at",
        "n_clients",
        "n_repeat_clients",
        "data_start",
        "data_end",
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
        "gg_p",
        "gg_q",
        "gg_gamma",
        "fit_seconds",
    )
    date_hierarchy = "fitted_at"
    show_full_result_count = False


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "trigger",
        "n_clients",
        "tier_counts",
        "phase_seconds",
    )
    list_filter = ("trigger",)
    list_select_related = ("model_fit",)
    date_hierarchy = "started_at"
    show_full_result_count = False
    exclude = ("engagement_reference",)


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(OwnClientsMixin, ReadOnlyAdmin):
    list_display = (
        "scored_at",
        "client",
        "tier",
        "previous_tier",
        "engagement_score",
        "churn_risk",
        "p_alive",
        "clv",
        "days_since_last_order",
    )
    list_filter = ("risk_tier", "previous_tier")
    list_select_related = ("client",)
    raw_id_fields = ("client", "run")
    search_fields = ("=client__email",)
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if user_sees_all_clients(request.user):
            return qs
        if user_is_stylist_only(request.user):
            return qs.filter(client__stylist=request.user)
        return qs.none()

    @admin.display(description="Tier", ordering="risk_tier")
    def tier(self, obj: ScoreSnapshot) -> str:
        return tier_badge(obj.risk_tier)
