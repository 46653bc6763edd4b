"""The Experiment screen: Managers start and stop experiments, Reviewers look.

Starting goes through ``experiments.experiment_start`` (checks, power
calculation); afterwards every field is read-only, since changing variants or
weights mid-way would move clients between arms. Stopping is an action.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from emails.models import Experiment
from emails.services.experiments import (
    ExperimentError,
    experiment_design,
    experiment_start,
    experiment_stop,
)
from stitchengage.admin_query import SafeListQueryMixin


class ExperimentStartForm(forms.ModelForm):
    """The design of a new experiment, checked by the service that starts it."""

    prompt_versions = forms.CharField(
        label="Prompt variants", initial="v1,v2", help_text="e.g. v1,v2"
    )
    weights = forms.CharField(
        required=False, help_text="e.g. 50,50; blank for equal shares"
    )

    class Meta:
        model = Experiment
        fields = ("name", "holdout_share", "min_detectable_effect", "baseline_rate")
        help_texts = {
            "min_detectable_effect": "Absolute, e.g. 0.05; blank for 0.05.",
            "baseline_rate": "Blank: the treated re-engagement rate so far.",
        }

    def clean(self):
        data = super().clean()
        try:
            weights = [
                float(w) for w in data.get("weights", "").split(",") if w.strip()
            ]
        except ValueError:
            self.add_error("weights", "Weights must be numbers, e.g. 50,50.")
            return data
        data["design"] = {
            "name": data.get("name") or "",
            "prompt_versions": data.get("prompt_versions", "").split(","),
            "weights": weights or None,
            "holdout_share": data.get("holdout_share"),
            "mde": data.get("min_detectable_effect"),
            "baseline": data.get("baseline_rate"),
        }
        try:
            experiment_design(**data["design"])
        except ExperimentError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data

    def validate_constraints(self):
        """Leave the one-running rule to ``clean``, which says it in words."""


class ExperimentAdmin(SafeListQueryMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "state",
        "variants_display",
        "holdout_share",
        "planned_n_per_arm",
        "started_at",
        "stopped_at",
        "dashboard_link",
    )
    list_filter = (("stopped_at", admin.EmptyFieldListFilter),)
    search_fields = ("name",)
    actions = ("stop_selected",)
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ExperimentStartForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "name",
                "prompt_versions",
                "weights",
                "holdout_share",
                "min_detectable_effect",
                "baseline_rate",
            )
        return (
            "name",
            "state",
            "variants_display",
            "holdout_share",
            "baseline_rate",
            "min_detectable_effect",
            "alpha",
            "power",
            "planned_n_per_arm",
            "started_at",
            "stopped_at",
            "dashboard_link",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # assignments name it; the record stays

    def save_model(self, request, obj, form, change):
        if change:
            return
        started = experiment_start(**form.cleaned_data["design"])
        obj.pk = started.pk
        obj.refresh_from_db()

    @admin.action(description="Stop selected experiments", permissions=["change"])
    def stop_selected(self, request, queryset):
        stopped = []
        for experiment in queryset.filter(stopped_at__isnull=True):
            try:
                stopped.append(experiment_stop(name=experiment.name).name)
            except ExperimentError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(
            request,
            f"Stopped: {', '.join(stopped)}." if stopped else "Nothing was running.",
            messages.SUCCESS if stopped else messages.WARNING,
        )

    @admin.display(description="state")
    def state(self, obj: Experiment) -> str:
        return "running" if obj.active else "stopped"

    @admin.display(description="variants (weight)")
    def variants_display(self, obj: Experiment) -> str:
        return ", ".join(
            f"{v['prompt_version']} ({v['weight']:g})" for v in obj.variants
        )

    @admin.display(description="outcomes")
    def dashboard_link(self, obj: Experiment) -> str:
        return format_html(
            '<a href="{}?experiment={}">dashboard</a>',
            reverse("dashboard:index"),
            obj.name,
        )
