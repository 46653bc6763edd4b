"""Measured outcomes of re-engagement emails against the holdout group.

Attribution: a sent email re-engages its client when the client places a
non-canceled order within ``REENGAGEMENT_ATTRIBUTION_DAYS`` after ``sent_at``; the
amount of the first such order is the attributed revenue. The holdout baseline is
the same rule from ``assigned_at``. Only windows that have fully elapsed count
towards rates and revenue: an open window could still convert, so counting it as
"not re-engaged" would bias the rate down (more so for the emailed group, whose
clock starts later). Open windows are reported separately.

Uplift is the difference of the two proportions with Newcombe's hybrid score
interval (Newcombe 1998, method 10), built from the two Wilson score intervals.
Unlike the Wald interval it stays inside [-1, 1] and keeps its coverage with
small groups and rates near 0 or 1, which is where a 10 % holdout lives.

Every figure is a fixed number of set-based queries, whatever the number of
clients or emails.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.utils import timezone

from customers.models import Client, Order, OrderStatus, RiskTier
from emails.models import (
    EmailStatus,
    EmailTransition,
    Experiment,
    ReengagementEmail,
    RetentionAssignment,
)
from scoring.models import ClientScore, ScoringRun

Z_95 = 1.959963984540054  # standard normal quantile 0.975
MIN_GROUP_SIZE = 10
ZERO = Decimal("0")
CENTS = Decimal("0.01")
MICRO_USD = Decimal("0.000001")  # the precision of the cost columns

# Statuses an email can only be in after it reached pending_review / approved.
_PAST_REVIEW = (
    EmailStatus.PENDING_REVIEW,
    EmailStatus.APPROVED,
    EmailStatus.SENDING,
    EmailStatus.SENT,
    EmailStatus.REJECTED,
)
_PAST_APPROVAL = (EmailStatus.APPROVED, EmailStatus.SENDING, EmailStatus.SENT)


# --- Statistics ---------------------------------------------------------------------


def wilson_interval(
    *, successes: int, trials: int, z: float = Z_95
) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion."""
    if trials <= 0:
        raise ValueError("A proportion needs at least one trial.")
    p = successes / trials
    denominator = 2 * (trials + z * z)
    centre = 2 * trials * p + z * z
    spread = z * math.sqrt(z * z + 4 * trials * p * (1 - p))
    return (centre - spread) / denominator, (centre + spread) / denominator


def difference_interval_newcombe(
    *, x1: int, n1: int, x2: int, n2: int, z: float = Z_95
) -> tuple[float, float]:
    """Return Newcombe's hybrid score interval for ``x1/n1 - x2/n2``."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(successes=x1, trials=n1, z=z)
    l2, u2 = wilson_interval(successes=x2, trials=n2, z=z)
    difference = p1 - p2
    lower = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return lower, upper


# --- Results ------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupOutcome:
    """Re-engagement of one group over its closed attribution windows."""

    closed: int  # windows fully elapsed: the denominator
    reengaged: int
    revenue: Decimal
    open: int  # windows still running: not counted yet
    reengaged_so_far: int  # re-engaged including open windows (funnel only)

    @property
    def rate(self) -> float | None:
        return self.reengaged / self.closed if self.closed else None

    @property
    def revenue_per_client(self) -> Decimal | None:
        return self.revenue / self.closed if self.closed else None


@dataclass(frozen=True)
class Uplift:
    """Absolute uplift of the emailed rate over the holdout rate, with a 95 % CI."""

    difference: float
    lower: float
    upper: float
    method: str = "Newcombe hybrid score (Wilson), 95%"


@dataclass(frozen=True)
class Money:
    attributed_revenue: Decimal
    incremental_revenue: Decimal | None
    llm_cost: Decimal
    ses_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.llm_cost + self.ses_cost

    @property
    def roi(self) -> float | None:
        if self.incremental_revenue is None or not self.cost:
            return None
        return float((self.incremental_revenue - self.cost) / self.cost)


@dataclass(frozen=True)
class Funnel:
    at_risk: int
    holdout: int
    drafted: int
    approved: int
    sent: int
    reengaged: int


@dataclass(frozen=True)
class OutcomeSummary:
    attribution_days: int
    as_of: dt.datetime
    emailed: GroupOutcome
    holdout: GroupOutcome
    uplift: Uplift | None  # None: not enough data in a group
    min_group_size: int
    money: Money
    funnel: Funnel
    # Intention to treat: everyone assigned to be emailed (sent or not) against the
    # holdout, both from assignment; free of the bias of drafts never sent.
    assigned: GroupOutcome | None = None
    itt_uplift: Uplift | None = None
    tiers_now: dict[str, int] = field(default_factory=dict)
    tier_trend: list[tuple[dt.datetime, dict[str, int]]] = field(default_factory=list)
    experiment: str | None = None  # None: every experiment pooled


# --- Experiments --------------------------------------------------------------------


def experiments_list() -> list[tuple[str, int]]:
    """Return (experiment, clients assigned) for each experiment, newest first.

    Experiments started but with nobody assigned yet come first, with 0.
    """
    assigned = list(
        RetentionAssignment.objects.order_by()
        .values("experiment")
        .annotate(n=Count("pk"), latest=Max("assigned_at"))
        .order_by("-latest", "experiment")
        .values_list("experiment", "n")
    )
    names = {name for name, _ in assigned}
    waiting = [
        (name, 0)
        for name in Experiment.objects.order_by("-started_at").values_list(
            "name", flat=True
        )
        if name not in names
    ]
    return waiting + assigned


def _assignments_in(experiment: str | None) -> QuerySet[RetentionAssignment]:
    rows = RetentionAssignment.objects.all()
    return rows if experiment is None else rows.filter(experiment=experiment)


def _emails_in(experiment: str | None) -> QuerySet[ReengagementEmail]:
    """Return the emails of an experiment: made from a snapshot it assigned.

    An email belongs to the experiment of its client's assignment for the
    snapshot it was drafted from (a regenerated email keeps that snapshot).
    """
    emails = ReengagementEmail.objects.all()
    if experiment is None:
        return emails
    return emails.filter(
        Exists(
            RetentionAssignment.objects.filter(
                client=OuterRef("client"),
                snapshot=OuterRef("snapshot"),
                experiment=experiment,
            )
        )
    )


# --- Queries ------------------------------------------------------------------------


def _first_order_amount(*, start_field: str, days: int) -> Subquery:
    """Return the amount of the client's first non-canceled order in the window."""
    window_end = ExpressionWrapper(
        OuterRef(start_field) + Value(dt.timedelta(days=days)),
        output_field=DateTimeField(),
    )
    orders = (
        Order.objects.filter(
            client_id=OuterRef("client_id"),
            ordered_at__gt=OuterRef(start_field),
            ordered_at__lte=window_end,
        )
        .exclude(status=OrderStatus.CANCELED)
        .order_by("ordered_at", "id")
        .values("amount")[:1]
    )
    return Subquery(orders, output_field=DecimalField(max_digits=10, decimal_places=2))


def group_outcome(
    *, queryset: QuerySet, start_field: str, days: int, as_of: dt.datetime
) -> GroupOutcome:
    """Aggregate one group in one query: closed/open windows, conversions, revenue.

    A window is closed when ``start + days <= as_of``; an order after ``as_of``
    (a scheduled Fix) is not a conversion yet.
    """
    cutoff = as_of - dt.timedelta(days=days)
    closed = Q(**{f"{start_field}__lte": cutoff})
    converted = Q(first_amount__isnull=False)
    row = (
        queryset.filter(**{f"{start_field}__lte": as_of})
        .annotate(first_amount=_first_order_amount(start_field=start_field, days=days))
        .aggregate(
            closed=Count("pk", filter=closed),
            reengaged=Count("pk", filter=closed & converted),
            revenue=Sum("first_amount", filter=closed, default=ZERO),
            open=Count("pk", filter=~closed),
            so_far=Count("pk", filter=converted),
        )
    )
    return GroupOutcome(
        closed=row["closed"],
        reengaged=row["reengaged"],
        # SQLite sums decimals as floats: round back to cents.
        revenue=Decimal(row["revenue"] or 0).quantize(CENTS),
        open=row["open"],
        reengaged_so_far=row["so_far"],
    )


def _funnel(
    *, holdout: GroupOutcome, emailed: GroupOutcome, experiment: str | None
) -> Funnel:
    assignments = _assignments_in(experiment).aggregate(
        total=Count("pk"),
        holdout=Count("pk", filter=Q(group=RetentionAssignment.Group.HOLDOUT)),
    )
    reached = EmailTransition.objects.filter(email_id=OuterRef("pk"))
    emails = _emails_in(experiment).aggregate(
        drafted=Count(
            "pk",
            filter=Q(status__in=_PAST_REVIEW)
            | Q(Exists(reached.filter(to_status=EmailStatus.PENDING_REVIEW))),
        ),
        approved=Count(
            "pk",
            filter=Q(status__in=_PAST_APPROVAL)
            | Q(Exists(reached.filter(to_status=EmailStatus.APPROVED))),
        ),
        sent=Count("pk", filter=Q(status=EmailStatus.SENT)),
    )
    return Funnel(
        at_risk=assignments["total"],
        holdout=assignments["holdout"],
        drafted=emails["drafted"],
        approved=emails["approved"],
        sent=emails["sent"],
        reengaged=emailed.reengaged_so_far,
    )


def _costs(experiment: str | None) -> tuple[Decimal, Decimal]:
    """Return (LLM cost of every draft, SES cost of every sent email)."""
    row = _emails_in(experiment).aggregate(
        llm=Sum("cost_usd", default=ZERO),
        ses=Sum("send_cost_usd", filter=Q(status=EmailStatus.SENT), default=ZERO),
    )
    return (
        Decimal(row["llm"]).quantize(MICRO_USD),
        Decimal(row["ses"]).quantize(MICRO_USD),
    )


def tiers_current() -> dict[str, int]:
    """Return the number of clients per current risk tier, every tier present."""
    counts = dict(
        ClientScore.objects.order_by()
        .values_list("risk_tier")
        .annotate(n=Count("pk"))
        .values_list("risk_tier", "n")
    )
    counts[RiskTier.UNSCORED] = Client.objects.filter(score__isnull=True).count()
    return {tier: counts.get(tier, 0) for tier in RiskTier.values}


def tier_trend(*, limit: int = 26) -> list[tuple[dt.datetime, dict[str, int]]]:
    """Return (started_at, tier counts) of the last full scoring runs, oldest first."""
    runs = (
        ScoringRun.objects.exclude(trigger=ScoringRun.Trigger.ORDER)
        .filter(finished_at__isnull=False)
        .order_by("-started_at", "-id")
        .values_list("started_at", "tier_counts")[:limit]
    )
    return [
        (started_at, {str(k): int(v) for k, v in (counts or {}).items()})
        for started_at, counts in reversed(list(runs))
    ]


def _uplift(
    *, treated: GroupOutcome, control: GroupOutcome, min_group_size: int
) -> Uplift | None:
    """Return the difference of rates with its interval, or None on too little data."""
    enough = max(min_group_size, 1)
    if treated.closed < enough or control.closed < enough:
        return None
    lower, upper = difference_interval_newcombe(
        x1=treated.reengaged, n1=treated.closed, x2=control.reengaged, n2=control.closed
    )
    return Uplift(difference=treated.rate - control.rate, lower=lower, upper=upper)


def outcomes_summarise(
    *,
    as_of: dt.datetime | None = None,
    days: int | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    experiment: str | None = None,
) -> OutcomeSummary:
    """Return attribution, uplift, money, funnel and tiers as of a moment.

    ``min_group_size`` closed windows are needed in each group before an uplift
    is given; below that the interval is too wide to mean anything.
    ``experiment`` narrows everything but the tiers (which are the book's) to
    one experiment; None pools them all.
    """
    as_of = as_of or timezone.now()
    if days is None:
        days = getattr(settings, "REENGAGEMENT_ATTRIBUTION_DAYS", 30)
    emailed = group_outcome(
        queryset=_emails_in(experiment).filter(
            status=EmailStatus.SENT, sent_at__isnull=False
        ),
        start_field="sent_at",
        days=days,
        as_of=as_of,
    )
    holdout, assigned = (
        group_outcome(
            queryset=_assignments_in(experiment).filter(group=group),
            start_field="assigned_at",
            days=days,
            as_of=as_of,
        )
        for group in (
            RetentionAssignment.Group.HOLDOUT,
            RetentionAssignment.Group.TREATMENT,
        )
    )
    uplift = _uplift(treated=emailed, control=holdout, min_group_size=min_group_size)
    itt_uplift = _uplift(
        treated=assigned, control=holdout, min_group_size=min_group_size
    )
    incremental = None
    if emailed.closed and holdout.closed:
        incremental = emailed.closed * (
            emailed.revenue_per_client - holdout.revenue_per_client
        )
        incremental = incremental.quantize(CENTS)
    llm_cost, ses_cost = _costs(experiment)
    return OutcomeSummary(
        attribution_days=days,
        as_of=as_of,
        emailed=emailed,
        holdout=holdout,
        uplift=uplift,
        min_group_size=min_group_size,
        money=Money(
            attributed_revenue=emailed.revenue,
            incremental_revenue=incremental,
            llm_cost=llm_cost,
            ses_cost=ses_cost,
        ),
        funnel=_funnel(holdout=holdout, emailed=emailed, experiment=experiment),
        assigned=assigned,
        itt_uplift=itt_uplift,
        tiers_now=tiers_current(),
        tier_trend=tier_trend(),
        experiment=experiment,
    )
