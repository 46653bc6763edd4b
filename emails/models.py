"""Re-engagement emails, their review trail, holdout assignments and suppressions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from customers.models import Client
from scoring.models import ScoreSnapshot


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DRAFTING = "drafting", "Drafting"
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"


# Statuses in which a client already has a draft in flight: no second one is made.
OPEN_STATUSES = (
    EmailStatus.QUEUED,
    EmailStatus.DRAFTING,
    EmailStatus.PENDING_REVIEW,
    EmailStatus.APPROVED,
    EmailStatus.SENDING,
)


class ReengagementEmail(models.Model):
    """A personal re-engagement email from draft to delivery.

    Status only changes through ``emails.services.transitions``, which checks the
    transition table and records an ``EmailTransition``.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="emails")
    snapshot = models.ForeignKey(
        ScoreSnapshot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
        help_text="The score that made the client at risk.",
    )
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    idempotency_key = models.CharField(max_length=128, unique=True)
    regenerated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    subject = models.CharField(max_length=200, blank=True)
    preheader = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)

    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField("LLM model", max_length=100, blank=True)
    prompt_version = models.CharField(
        "prompt variant",
        max_length=16,
        blank=True,
        help_text="Set when the email is queued, from the client's assignment, so "
        "a regenerated draft keeps its variant.",
    )
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(
        "cost (USD)", max_digits=10, decimal_places=6, default=Decimal("0")
    )
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_emails",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    edited = models.BooleanField(default=False)
    send_after = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Chosen at approval (emails.services.send_time): the dispatcher "
        "enqueues the send once this has passed.",
    )
    dispatched_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the dispatcher (or Send now) last enqueued the send.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    send_cost_usd = models.DecimalField(
        max_digits=10, decimal_places=6, default=Decimal("0")
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = [
            ("review_reengagementemail", "Can approve or reject re-engagement emails"),
            ("comment_reengagementemail", "Can comment on re-engagement emails"),
        ]
        indexes = [
            # The admin's lists in their default order: the review queue
            # (status pending_review) and "All emails".
            models.Index(fields=["status", "-created_at", "-id"]),
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["client", "-created_at"]),
            # The admin's filters list their values from these (one probe each).
            models.Index(fields=["provider"]),
            models.Index(fields=["prompt_version"]),
            models.Index(fields=["client", "sent_at"]),
            # The dispatcher's scan: approved emails by send time, a few rows.
            models.Index(
                fields=["send_after"],
                condition=models.Q(status="approved"),
                name="email_approved_send_after",
            ),
        ]
        constraints = [
            # At most one email in flight per client, whatever races happen.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="one_open_email_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"Email #{self.pk} to client {self.client_id} ({self.status})"


class EmailTransition(models.Model):
    """One status change of an email: who, when, from, to, and what was edited."""

    email = models.ForeignKey(
        ReengagementEmail, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=16, choices=EmailStatus.choices)
    to_status = models.CharField(max_length=16, choices=EmailStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # The move's own instant (``email_transition`` passes it), which is also the
    # email's ``updated_at``; auto_now_add would stamp a later one of its own.
    at = models.DateTimeField(default=timezone.now, editable=False)
    note = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("at", "id")
        indexes = [models.Index(fields=["email", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class EmailComment(models.Model):
    """A note on a draft, e.g. from the client's stylist to the reviewer."""

    email = models.ForeignKey(
        ReengagementEmail, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"Comment by {self.author_id} on email {self.email_id}"


class Experiment(models.Model):
    """A re-engagement experiment: its holdout, its prompt variants and its plan.

    At most one is active (no ``stopped_at``); drafting assigns new at-risk
    entries to it. ``variants`` is ``[{"prompt_version": "v1", "weight": 50}, ...]``,
    fixed at the start: changing weights mid-way would move clients between
    arms. ``planned_n_per_arm`` is the fixed horizon from the power calculation
    (``emails.services.experiment_stats``); no winner is declared before it.
    """

    name = models.CharField(max_length=64, unique=True)
    variants = models.JSONField(default=list)
    holdout_share = models.FloatField()
    baseline_rate = models.FloatField(
        null=True, blank=True, help_text="Re-engagement rate assumed for planning."
    )
    min_detectable_effect = models.FloatField(
        null=True, blank=True, help_text="Smallest absolute difference to detect."
    )
    alpha = models.FloatField(default=0.05)
    power = models.FloatField(default=0.8)
    planned_n_per_arm = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Closed attribution windows each variant needs before a verdict.",
    )
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = [
            # A partial unique index on a constant: at most one row matches.
            models.UniqueConstraint(
                models.Value(1),
                condition=models.Q(stopped_at__isnull=True),
                name="one_active_experiment",
            ),
            models.CheckConstraint(
                condition=models.Q(holdout_share__gte=0, holdout_share__lt=1),
                name="experiment_holdout_share_range",
            ),
            models.CheckConstraint(
                condition=models.Q(stopped_at__isnull=True)
                | models.Q(stopped_at__gte=models.F("started_at")),
                name="experiment_stops_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.stopped_at is None

    @property
    def prompt_versions(self) -> list[str]:
        return [str(v["prompt_version"]) for v in self.variants]


class RetentionAssignment(models.Model):
    """A client's entry into at-risk, assigned to the emailed or the holdout group.

    The assignment is reproducible (a hash of client and experiment salt) and
    recorded, so outcomes can be compared between the groups later.
    """

    class Group(models.TextChoices):
        TREATMENT = "treatment", "Emailed"
        HOLDOUT = "holdout", "Holdout (never emailed)"

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="retention_assignments"
    )
    snapshot = models.ForeignKey(
        ScoreSnapshot, on_delete=models.SET_NULL, null=True, blank=True
    )
    group = models.CharField(max_length=16, choices=Group.choices)
    experiment = models.CharField(max_length=64, default="reengagement-v1")
    holdout_share = models.FloatField()
    prompt_version = models.CharField(
        "prompt variant",
        max_length=16,
        blank=True,
        help_text="The prompt version drawn for the emailed group; blank if held out.",
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-assigned_at", "-id")
        indexes = [
            models.Index(fields=["group", "assigned_at"]),
            models.Index(fields=["client", "-assigned_at"]),
            models.Index(fields=["experiment", "prompt_version", "assigned_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "snapshot"], name="one_assignment_per_snapshot"
            )
        ]

    def __str__(self) -> str:
        return f"Client {self.client_id}: {self.group}"


class Suppression(models.Model):
    """An address that must never be emailed: bounce, complaint or manual block."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
        MANUAL = "manual", "Manual"

    email = models.EmailField(max_length=254)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(Lower("email"), name="suppression_email_ci_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"
