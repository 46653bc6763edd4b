"""The client book: clients, their stylist, and their orders (Fixes)."""

from __future__ import annotations

import functools
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .date_bounds import date_bounds_error, validate_business_date


class Style(models.TextChoices):
    CLASSIC = "classic", "Classic"
    CASUAL = "casual", "Casual"
    BOHEMIAN = "bohemian", "Bohemian"
    EDGY = "edgy", "Edgy"
    ROMANTIC = "romantic", "Romantic"
    PREPPY = "preppy", "Preppy"
    MINIMALIST = "minimalist", "Minimalist"
    ATHLEISURE = "athleisure", "Athleisure"
    WORKWEAR = "workwear", "Workwear"
    STREETWEAR = "streetwear", "Streetwear"


class BudgetBand(models.TextChoices):
    VALUE = "value", "Value (under $50/item)"
    MODERATE = "moderate", "Moderate ($50-100/item)"
    PREMIUM = "premium", "Premium ($100-200/item)"
    LUXURY = "luxury", "Luxury ($200+/item)"


class RiskTier(models.TextChoices):
    UNSCORED = "unscored", "Not scored yet"
    HEALTHY = "healthy", "Healthy"
    COOLING = "cooling", "Cooling"
    AT_RISK = "at_risk", "At risk"
    LAPSED = "lapsed", "Lapsed"


@functools.cache
def _time_zones() -> frozenset[str]:
    # available_timezones() scans the tz database on every call (~17 ms).
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept only IANA time zone names, so send times can be localised."""
    if value not in _time_zones():
        raise ValidationError(
            f"'{value}' is not an IANA time zone, e.g. 'America/Chicago'."
        )


class Weekday(models.IntegerChoices):
    """ISO weekday numbers, as ``date.isoweekday()`` gives them."""

    MONDAY = 1, "Monday"
    TUESDAY = 2, "Tuesday"
    WEDNESDAY = 3, "Wednesday"
    THURSDAY = 4, "Thursday"
    FRIDAY = 5, "Friday"
    SATURDAY = 6, "Saturday"
    SUNDAY = 7, "Sunday"


class Client(models.Model):
    """A subscriber of the service and the stylist who looks after them."""

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80, blank=True)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=32, blank=True)
    city = models.CharField(max_length=80, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    quiet_days = models.JSONField(
        default=list,
        blank=True,
        help_text="Weekdays (in the client's time zone) the client asked not to be "
        "emailed on.",
    )
    signup_date = models.DateField(
        default=timezone.localdate, validators=[validate_business_date]
    )
    external_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="Identifier in the source system (e.g. a transactions file).",
    )
    stylist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients",
        limit_choices_to={"is_staff": True},
        # The (stylist, last_name, first_name, id) index serves stylist lookups.
        db_index=False,
    )

    # Style profile.
    preferred_styles = models.JSONField(default=list, blank=True)
    size_top = models.CharField("top size", max_length=16, blank=True)
    size_bottom = models.CharField("bottom size", max_length=16, blank=True)
    size_shoe = models.CharField("shoe size", max_length=16, blank=True)
    budget_band = models.CharField(
        max_length=16, choices=BudgetBand.choices, default=BudgetBand.MODERATE
    )

    # Consent.
    marketing_consent = models.BooleanField(default=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    stylist_notes = models.TextField(blank=True)

    # Order facts kept current by every order write (see services/order_facts.py);
    # the scores live in scoring.ClientScore (``client.score``).
    last_order_at = models.DateTimeField(null=True, blank=True)
    order_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("last_name", "first_name", "id")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="client_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(external_id__isnull=True)
                | ~models.Q(external_id=""),
                name="client_external_id_not_blank",
                violation_error_message="A blank external id is stored as none.",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"]),
            models.Index(fields=["signup_date"]),
            models.Index(fields=["stylist", "last_name", "first_name", "id"]),
            models.Index(fields=["last_order_at"]),
            # import_orders finds ids that differ only in case (see order_import).
            models.Index(Lower("external_id"), name="client_external_id_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.fields_normalise()
        super().save(*args, **kwargs)

    def fields_normalise(self) -> None:
        """Store the email lower-case and no external id as NULL.

        ``save()`` calls it; a bulk write (the background import) must too.
        No external id is NULL, not '': the unique constraint lets any number
        of clients have NULL but only one have ''.
        """
        self.email = self.email.strip().lower()
        self.external_id = (self.external_id or "").strip() or None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def current_score(self):
        """Return the client's ``scoring.ClientScore``, or None if never scored."""
        return getattr(self, "score", None)

    @property
    def current_tier(self) -> str:
        """Return the risk tier of the latest scoring ("unscored" before any)."""
        score = self.current_score
        return score.risk_tier if score is not None else RiskTier.UNSCORED

    def clean(self) -> None:
        errors = {}
        unknown = set(self.preferred_styles or []) - set(Style.values)
        if unknown:
            errors["preferred_styles"] = (
                f"Unknown styles: {', '.join(sorted(unknown))}."
            )
        quiet = self.quiet_days or []
        if not isinstance(quiet, list) or set(quiet) - set(Weekday.values):
            errors["quiet_days"] = "Quiet days are ISO weekday numbers, 1 to 7."
        elif len(set(quiet)) == len(Weekday.values):
            # A client who wants no email at all withdraws marketing consent.
            errors["quiet_days"] = (
                "Leave at least one day open, or turn marketing consent off."
            )
        if errors:
            raise ValidationError(errors)


class OrderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SHIPPED = "shipped", "Shipped"
    KEPT = "kept", "Kept"
    RETURNED = "returned", "Returned"
    CANCELED = "canceled", "Canceled"


class Order(models.Model):
    """One Fix: a box of items a stylist picked and shipped to a client."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="orders")
    ordered_at = models.DateTimeField(default=timezone.now)
    shipped_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.SCHEDULED
    )
    items_sent = models.PositiveSmallIntegerField(default=5)
    items_kept = models.PositiveSmallIntegerField(default=0)
    kept_items = models.CharField(
        max_length=255,
        blank=True,
        help_text="What the client kept, e.g. 'denim jacket'.",
    )
    amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    rating = models.PositiveSmallIntegerField(
        "feedback rating",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback_comment = models.TextField(blank=True)
    import_key = models.CharField(
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Set by file imports so re-importing the same file adds nothing.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-ordered_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(items_kept__lte=models.F("items_sent")),
                name="order_items_kept_lte_sent",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="order_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=1, rating__lte=5),
                name="order_rating_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-ordered_at"]),
            models.Index(fields=["-ordered_at", "-id"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return (
            f"Fix #{self.pk} for client {self.client_id} on {self.ordered_at:%Y-%m-%d}"
        )

    def clean(self) -> None:
        errors = {}
        if (
            self.items_kept is not None
            and self.items_sent is not None
            and self.items_kept > self.items_sent
        ):
            errors["items_kept"] = (
                f"Cannot keep {self.items_kept} items out of {self.items_sent} sent."
            )
        if self.ordered_at:
            message = date_bounds_error(
                self.ordered_at,
                what="Order date",
                scheduled=self.status == OrderStatus.SCHEDULED,
            )
            if message:
                errors["ordered_at"] = message
        if self.shipped_at:
            message = date_bounds_error(self.shipped_at, what="Ship date")
            if message:
                errors["shipped_at"] = message
        if self.shipped_at and self.ordered_at and self.shipped_at < self.ordered_at:
            errors.setdefault("shipped_at", "A Fix cannot ship before it was ordered.")
        if errors:
            raise ValidationError(errors)

    @property
    def keep_rate(self) -> float | None:
        return self.items_kept / self.items_sent if self.items_sent else None


class ClientOrderSummary(models.Model):
    """One row per client with a countable Fix: what the scoring models read.

    Kept current in the transaction of every order write
    (``customers.services.order_summary``), so a full rescoring reads a million
    rows instead of ten million orders. Countable: not canceled, dated from
    ``BUSINESS_STARTED_ON``; scheduled future Fixes are included and left out
    at scoring time. ``days`` packs one record per order day
    (``order_summary.DAY_RECORD``), oldest first: the learned model's features
    (gaps, recent counts, last Fixes' outcome, rating trend) need the days, not
    only sums. Rebuild it with ``score_clients --rebuild-summary``.
    """

    client = models.OneToOneField(
        Client,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="order_summary",
    )
    order_days = models.PositiveIntegerField()
    first_order_on = models.DateField()
    last_order_on = models.DateField()
    last_ordered_at = models.DateTimeField()
    amount_total = models.DecimalField(max_digits=14, decimal_places=2)
    items_sent = models.PositiveIntegerField()
    items_kept = models.PositiveIntegerField()
    rating_sum = models.PositiveIntegerField()
    rating_count = models.PositiveIntegerField()
    days = models.BinaryField()

    class Meta:
        verbose_name_plural = "client order summaries"

    def __str__(self) -> str:
        return f"Order summary of client {self.client_id}"


class ImportJobModel(models.TextChoices):
    CLIENTS = "clients", "Clients"
    ORDERS = "orders", "Orders (Fixes)"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """A CSV import run in the background on a file in storage.

    The web request only stores the file and enqueues; the task validates every
    row, then writes all of them in one transaction or none
    (``customers.services.background_import``).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    model = models.CharField(max_length=16, choices=ImportJobModel.choices)
    #: The name in default storage (S3 in production); removed once the job ends.
    file_name = models.CharField(max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    #: What a running job is doing: "validating" the rows, then "writing" them.
    phase = models.CharField(max_length=16, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    #: [{"line": int | None, "field": str, "message": str}], capped (see the service).
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["-created_at", "-id"])]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.get_model_display().lower()}"
