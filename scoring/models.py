"""Current scores, score history and model fits.

``ClientScore`` holds each client's current scores (one row per scored client) for
the admin's filters and sorting; ``ScoreSnapshot`` is the history (one row per
client per run); ``ModelFit`` the audit trail of every fit.
"""

from __future__ import annotations

from django.db import models

from customers.models import Client, RiskTier


class ModelFit(models.Model):
    """One maximum-likelihood fit of BG/NBD (purchases) and Gamma-Gamma (spend).

    A degenerate fit (``scoring.fit_checks``) is kept for the record as
    ``rejected`` with its reason, and never scores anyone: scoring reads the
    latest ``accepted`` fit.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected (degenerate)"

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
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACCEPTED
    )
    rejected_reason = models.TextField(blank=True)
    # The churn ranking this fit ships (scoring.churn_pipeline): bgnbd, gbdt or a
    # baseline, the LightGBM model text when trees were trained, and the
    # evidence (held-out backtest of every candidate, calibration by decile,
    # feature importances) plus what predicting needs (calibrator, rank grid).
    churn_model = models.CharField(max_length=20, default="bgnbd")
    churn_booster = models.TextField(blank=True)
    churn_details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-fitted_at", "-id")
        get_latest_by = "fitted_at"
        indexes = [models.Index(fields=["-fitted_at", "-id"])]
        constraints = [
            # A rejected fit says why; an accepted one has nothing to say.
            models.CheckConstraint(
                condition=(
                    models.Q(status="accepted", rejected_reason="")
                    | (models.Q(status="rejected") & ~models.Q(rejected_reason=""))
                ),
                name="modelfit_reason_iff_rejected",
            ),
        ]

    def __str__(self) -> str:
        rejected = " (rejected)" if self.status == self.Status.REJECTED else ""
        return (
            f"Fit #{self.pk} on {self.n_clients} clients "
            f"({self.fitted_at:%Y-%m-%d}){rejected}"
        )


class ScoringRun(models.Model):
    """One rescoring of some or all clients, with its timings and tier counts."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual command"
        NIGHTLY = "nightly", "Nightly schedule"
        ORDER = "order", "Order saved"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    # The fit the run scored with; when this run's own fit was rejected, that
    # one is ``rejected_fit`` and ``model_fit`` the previous accepted fit. No
    # index: a run is made per saved order, and fits are never deleted.
    model_fit = models.ForeignKey(ModelFit, on_delete=models.PROTECT, null=True)
    rejected_fit = models.ForeignKey(
        ModelFit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rejected_in_runs",
        db_index=False,
    )
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

    # Both foreign keys are covered by the unique index below, and neither
    # has a database constraint: a row-by-row check of a million appended
    # snapshots costs ~18 s a night. Integrity is kept set-based instead: a full
    # run inserts only clients that exist while it holds a lock that keeps
    # clients from being deleted until it commits (services/score_writes.py),
    # the run is created in the same transaction, and deletes of clients and
    # runs cascade through Django's collector as before.
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
        db_constraint=False,
    )
    run = models.ForeignKey(
        ScoringRun,
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
        db_constraint=False,
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
    # Which model's churn risk this is, and (trees only) its top reasons.
    scored_by = models.CharField(max_length=20, default="bgnbd")
    churn_reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("-scored_at", "-id")
        get_latest_by = "scored_at"
        # One index only, (client, run): it keeps a client to one snapshot per
        # run and serves a client's history; every extra index on a table that
        # grows by a million rows a night is paid for on each of them.
        constraints = [
            models.UniqueConstraint(
                fields=["client", "run"], name="snapshot_once_per_client_run"
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


class ClientScore(models.Model):
    """A client's current scores: the headline numbers of their latest snapshot.

    A narrow 1:1 companion of ``customers.Client`` rather than columns on it: a
    full run rebuilds this table (see ``scoring.services.score_writes``) instead of
    updating a million wide CRM rows and every index on them. A client without a
    row has not been scored yet.
    """

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    risk_tier = models.CharField(max_length=16, choices=RiskTier.choices)
    engagement_score = models.PositiveSmallIntegerField()
    churn_risk = models.FloatField()
    p_alive = models.FloatField("probability alive")
    expected_orders = models.FloatField()
    clv = models.DecimalField("12-month CLV", max_digits=12, decimal_places=2)
    scored_at = models.DateTimeField()
    # The snapshot these numbers come from (what a draft is written from). Set
    # by construction in the same transaction, so no row-by-row database check.
    snapshot = models.ForeignKey(
        ScoreSnapshot,
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        # (tier, churn risk) serves "this tier, riskiest first" and tier filters;
        # the others the admin's sorts. A full run builds them once (~1 s each
        # at 1M clients), not row by row.
        indexes = [
            models.Index(fields=["risk_tier", "churn_risk"]),
            models.Index(fields=["churn_risk"]),
            models.Index(fields=["engagement_score"]),
            models.Index(fields=["clv"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(churn_risk__gte=0, churn_risk__lte=1),
                name="clientscore_churn_risk_0_1",
            ),
            models.CheckConstraint(
                condition=models.Q(engagement_score__lte=100),
                name="clientscore_engagement_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.risk_tier}"
