"""Read-only admin screens for model fits, scoring runs and score history."""

from __future__ import annotations

from django.contrib import admin
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from customers.selectors import user_is_stylist_only, user_sees_all_clients
from stitchengage.admin_mixins import NotFoundOutsideBookMixin, ReadOnlyAdminMixin
from stitchengage.admin_query import SafeListQueryMixin

from .models import ModelFit, ScoreSnapshot, ScoringRun
from .presentation import model_fit_quality_html, tier_badge


class ReadOnlyAdmin(ReadOnlyAdminMixin, SafeListQueryMixin, admin.ModelAdmin):
    """Audit data is written by the scoring service only."""


@admin.register(ModelFit)
class ModelFitAdmin(ReadOnlyAdmin):
    list_display = (
        "fitted_at",
        "status",
        "rejected_reason",
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
        "churn_model",
    )
    list_filter = ("status", "churn_model")
    date_hierarchy = "fitted_at"
    show_full_result_count = False
    exclude = ("churn_booster", "churn_details")
    readonly_fields = ("prediction_quality",)

    def get_queryset(self, request):
        # The booster text is up to a few MB per fit: never on the list.
        return super().get_queryset(request).defer("churn_booster")

    @admin.display(description="Churn model quality")
    def prediction_quality(self, obj: ModelFit) -> str:
        return model_fit_quality_html(obj)


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "trigger",
        "n_clients",
        "model_fit",
        "rejected_fit",
        "tier_counts",
        "phase_seconds",
    )
    list_filter = ("trigger",)
    list_select_related = ("model_fit", "rejected_fit")
    date_hierarchy = "started_at"
    show_full_result_count = False
    exclude = ("engagement_reference",)


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(NotFoundOutsideBookMixin, ReadOnlyAdmin):
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


# The nightly rescoring's schedule (django-celery-beat): its list has a date
# drill-down on start_time, which answers 500 to ?start_time__year=9999 unguarded.
admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class GuardedPeriodicTaskAdmin(SafeListQueryMixin, PeriodicTaskAdmin):
    pass
