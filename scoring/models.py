"""Score history and model fits.

The current score of each client is denormalised onto ``customers.Client``; the
rows here are the history (one snapshot per client per run) and the audit trail of
every model fit.
"""

from __future__ import annotations

from django.db import models

from customers.models import Client, RiskTier


class ModelFit(models.Model):
    """One maximum-likelihood fit of BG/NBD (purchases) and Gamma-Gamma (spend)."""

    fitted_at = models.DateTimeField(auto_now_add=True)
    n_clients = models.PositiveIntegerField()
    n_repeat_clients = models.PositiveIntegerField()
    data_start = models.DateField(null=True)
    data_end = models.DateField()
    time_unit = models.CharField(max_length=8, default="days")
    r = models.FloatField()
    alpha = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    log_likelihood = models.FloatField("BG/NBD log-likelihood")
    gg_p = models.FloatField("Gamma-Gamma p", null=True)
    gg_q = models.FloatField("Gamma-Gamma q", null=True)
    gg_gamma = models.FloatField("Gamma-Gamma gamma", null=True)
    fit_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ("-fitted_at", "-id")
        get_latest_by = "fitted_at"
        indexes = [models.Index(fields=["-fitted_at", "-id"])]

    def __str__(self) -> str:
        return f"Fit #{self.pk} on {self.n_clients} clients ({self.fitted_at:%Y-%m-%d})"


class ScoringRun(models.Model):
    """One rescoring of some or all clients, with its timings and tier counts."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual command"
        NIGHTLY = "nightly", "Nightly schedule"
        ORDER = "order", "Order saved"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    model_fit = models.ForeignKey(ModelFit, on_delete=models.PROTECT, null=True)
    n_clients = models.PositiveIntegerField(default=0)
    tier_counts = models.JSONField(default=dict)
    phase_seconds = models.JSONField(default=dict)
    # Quantiles of recency/frequency/monetary in this run, so a single client
    # rescored between runs gets percentile components on the same scale.
    engagement_reference = models.JSONField(default=dict)

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [models.Index(fields=["-started_at", "-id"])]

    def __str__(self) -> str:
        return f"Scoring run #{self.pk} ({self.get_trigger_display()})"


class ScoreSnapshot(models.Model):
    """A client's scores at one run, with every component that explains them."""

    # Both foreign keys are covered by the composite indexes below; fewer indexes
    # keep the bulk COPY of a million snapshots fast.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    run = models.ForeignKey(
        ScoringRun, on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    scored_at = models.DateTimeField()
    previous_tier = models.CharField(max_length=16, choices=RiskTier.choices)
    risk_tier = models.CharField(max_length=16, choices=RiskTier.choices)

    # Engagement score and its components, each 0-100.
    engagement_score = models.PositiveSmallIntegerField()
    recency_component = models.FloatField()
    frequency_component = models.FloatField()
    monetary_component = models.FloatField(null=True)
    keep_rate_component = models.FloatField(null=True)
    rating_component = models.FloatField(null=True)

    # Inputs, in days and dollars.
    orders = models.PositiveIntegerField()
    repeat_orders = models.PositiveIntegerField()
    days_since_last_order = models.PositiveIntegerField()
    tenure_days = models.PositiveIntegerField()
    average_order_value = models.DecimalField(max_digits=10, decimal_places=2)
    keep_rate = models.FloatField(null=True)
    average_rating = models.FloatField(null=True)

    # Probabilistic model outputs.
    p_alive = models.FloatField()
    expected_orders = models.FloatField()
    churn_risk = models.FloatField()
    clv = models.DecimalField(max_digits=12, decimal_places=2)
    expected_next_order_on = models.DateField(null=True)

    class Meta:
        ordering = ("-scored_at", "-id")
        get_latest_by = "scored_at"
        indexes = [
            models.Index(fields=["client", "-scored_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "client"], name="snapshot_once_per_run"
            ),
            models.CheckConstraint(
                condition=models.Q(churn_risk__gte=0, churn_risk__lte=1),
                name="snapshot_churn_risk_0_1",
            ),
            models.CheckConstraint(
                condition=models.Q(engagement_score__lte=100),
                name="snapshot_engagement_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.risk_tier} @ {self.scored_at:%Y-%m-%d %H:%M}"

    @property
    def moved_into_at_risk(self) -> bool:
        return (
            self.risk_tier == RiskTier.AT_RISK
            and self.previous_tier != RiskTier.AT_RISK
        )
