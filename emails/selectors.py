"""Reads of the emails app, narrowed by who is asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from customers.models import Order, RiskTier
from customers.selectors import User, user_is_stylist_only, user_sees_all_clients
from emails.models import EmailStatus, ReengagementEmail, RetentionAssignment
from emails.services.demo_history import (
    HISTORY_EXPERIMENT,
    HISTORY_RUN_KEY,
)
from emails.services.drafting import (
    DRAFT_NOT_QUEUED,
    DRAFT_RETRIES_EXHAUSTED,
    QUEUED_STRANDED_SECONDS,
)
from scoring.models import ClientScore, ScoringRun


def emails_visible_to(
    user: User, queryset: QuerySet[ReengagementEmail] | None = None
) -> QuerySet[ReengagementEmail]:
    """Return the emails a user may see: all, or those to a stylist's own clients."""
    qs = ReengagementEmail.objects.all() if queryset is None else queryset
    if user_sees_all_clients(user):
        return qs
    if user_is_stylist_only(user):
        return qs.filter(client__stylist=user)
    return qs.none()


def at_risk_latest_snapshot_ids(*, limit: int | None = None) -> list[int]:
    """Return the latest snapshot id of every client currently at risk."""
    ids = (
        ClientScore.objects.filter(risk_tier=RiskTier.AT_RISK, snapshot__isnull=False)
        .order_by("client_id")
        .values_list("snapshot_id", flat=True)
    )
    if limit is not None:
        ids = ids[:limit]
    return list(ids)


def _drafts_stranded(now: dt.datetime) -> Q:
    """Queued with a failed publish or with its retries spent, or queued and
    untouched for longer than any retry waits (the message was lost), or
    drafting past the lease (the worker died)."""
    queued_before = now - dt.timedelta(seconds=QUEUED_STRANDED_SECONDS)
    leased_before = now - dt.timedelta(seconds=settings.DRAFTING_LEASE_SECONDS)
    return (
        Q(status=EmailStatus.QUEUED, error=DRAFT_NOT_QUEUED)
        | Q(status=EmailStatus.QUEUED, error__startswith=DRAFT_RETRIES_EXHAUSTED)
        | Q(status=EmailStatus.QUEUED, updated_at__lt=queued_before)
        | Q(status=EmailStatus.DRAFTING, updated_at__lt=leased_before)
    )


def regenerated_drafts_stranded(*, now: dt.datetime | None = None) -> list[int]:
    """Return the ids of regenerated drafts that no task is coming for.

    First drafts are found through their snapshot instead.
    """
    stranded = _drafts_stranded(now or timezone.now())
    return list(
        ReengagementEmail.objects.filter(stranded, regenerated_from__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def draft_sweep_snapshot_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Return the snapshots the lost-work sweep drafts for, oldest client first.

    The current snapshot of every at-risk client that nothing was decided for
    yet (no email keyed to it, no holdout assignment on it), scored more than
    ``SWEEP_GRACE_SECONDS`` ago so a draft still on its way is not raced; and the
    snapshot of every first draft stranded as ``regenerated_drafts_stranded``
    says. The eligibility rules are not read here: the sweep applies them
    through ``draft_request_evaluate``, as the task does.
    """
    now = now or timezone.now()
    scored_before = now - dt.timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    undecided = (
        ClientScore.objects.filter(
            risk_tier=RiskTier.AT_RISK,
            snapshot__isnull=False,
            scored_at__lt=scored_before,
        )
        .exclude(
            Exists(ReengagementEmail.objects.filter(snapshot_id=OuterRef("snapshot")))
        )
        .exclude(
            Exists(RetentionAssignment.objects.filter(snapshot_id=OuterRef("snapshot")))
        )
        .values_list("snapshot_id", flat=True)
    )
    stranded = ReengagementEmail.objects.filter(
        _drafts_stranded(now), regenerated_from__isnull=True, snapshot__isnull=False
    ).values_list("snapshot_id", flat=True)
    return sorted(set(undecided) | set(stranded))


def email_client_recent_orders(
    *, email: ReengagementEmail, limit: int = 5
) -> list[Order]:
    """Return the client's latest orders, for the reviewer's context."""
    return list(
        Order.objects.filter(client_id=email.client_id).order_by("-ordered_at", "-id")[
            :limit
        ]
    )


@dataclass(frozen=True, slots=True)
class SimulatedData:
    """Say which dashboard figures come from ``seed_demo_history``, not real events.

    ``outcomes``: the at-risk entries, sends and orders behind the rates, uplift,
    money and funnel shown; ``trend``: past scoring runs in the tier trend.
    """

    outcomes: bool
    trend: bool
    # When the last seeded scoring run started: the trend chart marks the
    # boundary between generated runs and real ones after it.
    trend_until: dt.datetime | None = None

    def __bool__(self) -> bool:
        return self.outcomes or self.trend


def dashboard_simulated_data(*, experiment: str | None = None) -> SimulatedData:
    """Return which figures of the dashboard (for ``experiment``) are simulated.

    The demo history is recognisable by its experiment name and its runs' marker
    key, so a real book with no seeded rows never sees the notice.
    """
    if experiment is None:
        outcomes = RetentionAssignment.objects.filter(
            experiment=HISTORY_EXPERIMENT
        ).exists()
    else:
        outcomes = experiment == HISTORY_EXPERIMENT
    until = ScoringRun.objects.filter(phase_seconds__has_key=HISTORY_RUN_KEY).aggregate(
        until=Max("started_at")
    )["until"]
    return SimulatedData(outcomes=outcomes, trend=until is not None, trend_until=until)
