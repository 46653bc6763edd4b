"""A simulated outcome history for the demo: past runs, holdout entries, emails, orders.

Gives every chart of the retention dashboard something to show on a fresh demo:
one past full ``ScoringRun`` per week with tier counts, past at-risk entries
(``RetentionAssignment``, emailed and held out), the emailed clients' drafts with
their transitions (most sent, some rejected or failed) and some re-engagement
orders afterwards, more often for emailed clients than for held-out ones.

Everything is drawn from one ``numpy.random.Generator(seed)`` in a fixed order over
the demo clients sorted by ``external_id``, so the same seed, weeks and demo book
give the same history. Rows are written with ``bulk_create`` (no signals, no
rescoring per order) and are recognisable, so a rerun replaces them:

- runs: ``phase_seconds`` holds the key ``demo_history``;
- assignments: experiment ``demo-history`` (an ``Experiment`` row of that name,
  stopped at ``as_of``, with two simulated prompt variants, v1 and v2, split
  50/50 among the emailed; v2's simulated re-engagement is higher);
- emails and orders: ``idempotency_key`` / ``import_key`` start with
  ``demo-history:``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from customers.models import Client, Order, OrderStatus, RiskTier
from customers.services.demo_seed import DEMO_EXTERNAL_ID_PREFIX
from emails.models import (
    EmailStatus,
    EmailTransition,
    Experiment,
    ReengagementEmail,
    RetentionAssignment,
)
from emails.services.experiment_stats import sample_size_per_arm
from scoring.models import ClientScore, ScoringRun

HISTORY_PREFIX = "demo-history:"
HISTORY_EXPERIMENT = "demo-history"
HISTORY_RUN_KEY = "demo_history"
PROVIDER = "offline-template"
# Share of the demo book that entered at-risk over the history.
ENTRY_SHARE = 0.15
# Probabilities of an order within 30 days: a plausible lift, not a miracle.
P_ORDER_EMAILED = 0.26
P_ORDER_BASELINE = 0.12
# Per simulated prompt variant (the emailed group is split 50/50 between them).
P_ORDER_VARIANT = {"v1": 0.22, "v2": 0.30}
# The demo experiment's plan: baseline and MDE its power calculation starts from.
PLAN_BASELINE, PLAN_MDE = 0.2, 0.1
# Draft outcomes of emailed entries: failed drafting, rejected, else sent.
P_FAILED, P_REJECTED = 0.05, 0.08
S = EmailStatus


@dataclass(frozen=True)
class HistorySummary:
    runs: int
    assignments: int
    holdout: int
    emails: int
    sent: int
    orders: int


class NoDemoClientsError(ValueError):
    """Raised when there are no demo clients to give a history to."""


def demo_history_delete() -> int:
    """Delete rows a previous ``demo_history_seed`` made; return how many."""
    deleted = 0
    with transaction.atomic():
        for queryset in (
            Order.objects.filter(import_key__startswith=HISTORY_PREFIX),
            ReengagementEmail.objects.filter(
                idempotency_key__startswith=HISTORY_PREFIX
            ),
            RetentionAssignment.objects.filter(experiment=HISTORY_EXPERIMENT),
            Experiment.objects.filter(name=HISTORY_EXPERIMENT),
            ScoringRun.objects.filter(phase_seconds__has_key=HISTORY_RUN_KEY),
        ):
            deleted += queryset.delete()[0]
    return deleted


@contextmanager
def _explicit_timestamps(*models_fields: tuple[type, str]) -> Iterator[None]:
    """Let bulk_create keep the past dates given to auto_now(_add) fields."""
    fields = [model._meta.get_field(name) for model, name in models_fields]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


TIERS = (RiskTier.HEALTHY, RiskTier.COOLING, RiskTier.AT_RISK, RiskTier.LAPSED)


def _tier_counts(
    *,
    total: int,
    progress: float,
    noise: np.ndarray,
    end: np.ndarray | None = None,
) -> dict[str, int]:
    """Split ``total`` clients into tiers; at-risk eases as ``progress`` goes 0->1.

    With ``end`` (the shares of the current scores), the history drifts towards
    it and its noise fades, so the seeded trend meets the real book's first run
    instead of jumping to it.
    """
    generic = np.array(
        [
            0.42 + 0.05 * progress,  # healthy
            0.20,  # cooling
            0.15 - 0.04 * progress,  # at_risk
            0.23 - 0.01 * progress,  # lapsed
        ]
    )
    if end is None:
        shares = generic * (1 + noise)
    else:
        start = np.array([0.42, 0.20, 0.15, 0.23])
        blend = start + (end - start) * progress
        shares = np.clip(blend * (1 + noise * (1 - progress)), 1e-9, None)
    counts = np.floor(shares / shares.sum() * total).astype(int)
    counts[0] += total - counts.sum()
    return {str(t): int(c) for t, c in zip(TIERS, counts, strict=True)}


def demo_history_seed(
    *,
    weeks: int = 12,
    seed: int = 7,
    holdout_share: float = 0.2,
    as_of: dt.datetime | None = None,
) -> HistorySummary:
    """Replace the demo history with a fresh deterministic one ending at ``as_of``.

    ``as_of`` defaults to today's local midnight, so reruns on one day agree.
    """
    if as_of is None:
        as_of = timezone.make_aware(
            dt.datetime.combine(timezone.localdate(), dt.time.min)
        )
    clients = list(
        Client.objects.filter(external_id__startswith=DEMO_EXTERNAL_ID_PREFIX)
        .annotate(
            last_order=Max(
                "orders__ordered_at",
                filter=~Q(orders__import_key__startswith=HISTORY_PREFIX),
            )
        )
        .order_by("external_id")
        .values_list("pk", "first_name", "last_order")
    )
    if not clients:
        raise NoDemoClientsError("No demo clients: run seed_demo first.")
    rng = np.random.default_rng(seed)
    horizon = as_of - dt.timedelta(weeks=weeks)
    # Clients quiet for a while before the history starts are the likely entries.
    quiet = [c for c in clients if c[2] is None or c[2] < horizon - dt.timedelta(45)]
    pool = quiet if len(quiet) >= len(clients) * ENTRY_SHARE else clients
    size = min(len(pool), max(weeks, round(len(clients) * ENTRY_SHARE)))
    chosen = [pool[i] for i in rng.choice(len(pool), size=size, replace=False)]

    # Every draw up front, in a fixed order, whatever branch a row takes later.
    u_group = rng.random(size)
    days_ago = np.arange(size) % weeks * 7 + rng.integers(4, 11, size)
    entry_minutes = rng.integers(0, 24 * 60, size)
    u_status = rng.random(size)
    llm_cost = rng.uniform(0.0003, 0.0012, size)
    review_hours = rng.uniform(2, 30, size)
    send_hours = rng.uniform(0.1, 20, size)
    u_order = rng.random(size)
    order_days = rng.uniform(0.5, 29.5, size)
    amounts = rng.uniform(60, 320, size)
    kept = rng.integers(1, 5, size)
    run_noise = rng.normal(0, 0.03, (weeks, 4))
    u_variant = rng.random(size)  # drawn last: the draws above stay as they were

    ses_cost = Decimal(
        str(getattr(settings, "SES_COST_PER_EMAIL_USD", None) or "0.0001")
    )
    assignments, emails, steps, orders = [], [], [], []
    for i, (client_id, first_name, _) in enumerate(chosen):
        entered = as_of - dt.timedelta(days=int(days_ago[i]))
        entered += dt.timedelta(minutes=int(entry_minutes[i]))
        holdout = u_group[i] < holdout_share
        variant = "" if holdout else ("v1" if u_variant[i] < 0.5 else "v2")
        assignments.append(
            RetentionAssignment(
                client_id=client_id,
                group="holdout" if holdout else "treatment",
                experiment=HISTORY_EXPERIMENT,
                holdout_share=holdout_share,
                prompt_version=variant,
                assigned_at=entered,
            )
        )
        start, p_order = entered, P_ORDER_BASELINE
        if not holdout:
            drafted = entered + dt.timedelta(minutes=2)
            reviewed = drafted + dt.timedelta(hours=float(review_hours[i]))
            sent = reviewed + dt.timedelta(hours=float(send_hours[i]))
            if u_status[i] < P_FAILED:
                path = [
                    (S.QUEUED, S.DRAFTING, entered),
                    (S.DRAFTING, S.FAILED, drafted),
                ]
            elif u_status[i] < P_FAILED + P_REJECTED:
                path = [
                    (S.QUEUED, S.DRAFTING, entered),
                    (S.DRAFTING, S.PENDING_REVIEW, drafted),
                    (S.PENDING_REVIEW, S.REJECTED, reviewed),
                ]
            else:
                path = [
                    (S.QUEUED, S.DRAFTING, entered),
                    (S.DRAFTING, S.PENDING_REVIEW, drafted),
                    (S.PENDING_REVIEW, S.APPROVED, reviewed),
                    (S.APPROVED, S.SENDING, sent - dt.timedelta(seconds=5)),
                    (S.SENDING, S.SENT, sent),
                ]
                start, p_order = sent, P_ORDER_VARIANT[variant]
            status = path[-1][1]
            is_sent = status == S.SENT
            emails.append(
                ReengagementEmail(
                    client_id=client_id,
                    status=status,
                    idempotency_key=f"{HISTORY_PREFIX}{client_id}",
                    subject=f"{first_name}, your next Fix is ready when you are",
                    body=(
                        f"Hi {first_name},\n\nIt has been a while. Your stylist has "
                        "new pieces in mind for you whenever you want a Fix.\n\n"
                        "Your stylist"
                    ),
                    provider=PROVIDER,
                    model=PROVIDER,
                    prompt_version=variant,
                    cost_usd=Decimal(f"{llm_cost[i]:.6f}"),
                    attempts=1,
                    error="Draft failed validation." if status == S.FAILED else "",
                    reviewed_at=reviewed if status != S.FAILED else None,
                    rejection_reason="Tone too generic."
                    if status == S.REJECTED
                    else "",
                    sent_at=sent if is_sent else None,
                    provider_message_id=f"demo-{client_id}" if is_sent else "",
                    send_cost_usd=ses_cost if is_sent else Decimal("0"),
                    created_at=entered,
                    updated_at=path[-1][2],
                )
            )
            steps.append(path)
        ordered = start + dt.timedelta(days=float(order_days[i]))
        if u_order[i] < p_order and ordered <= as_of:
            shipped = ordered + dt.timedelta(days=2)
            done = shipped <= as_of
            orders.append(
                Order(
                    client_id=client_id,
                    ordered_at=ordered,
                    shipped_at=shipped if done else None,
                    status=OrderStatus.KEPT if done else OrderStatus.SCHEDULED,
                    items_sent=5,
                    items_kept=int(kept[i]) if done else 0,
                    amount=Decimal(f"{amounts[i]:.2f}"),
                    import_key=f"{HISTORY_PREFIX}{client_id}",
                    created_at=ordered,
                )
            )

    total = Client.objects.count()
    scored = dict(
        ClientScore.objects.order_by()
        .values_list("risk_tier")
        .annotate(n=Count("pk"))
        .values_list("risk_tier", "n")
    )
    in_tiers = sum(scored.get(t, 0) for t in TIERS)
    end = np.array([scored.get(t, 0) / in_tiers for t in TIERS]) if in_tiers else None
    runs = [
        ScoringRun(
            trigger=ScoringRun.Trigger.NIGHTLY,
            started_at=as_of - dt.timedelta(weeks=w) + dt.timedelta(hours=2),
            finished_at=as_of
            - dt.timedelta(weeks=w)
            + dt.timedelta(hours=2, minutes=1),
            n_clients=total,
            tier_counts=_tier_counts(
                total=total,
                progress=(weeks - w) / weeks,
                noise=run_noise[w - 1],
                end=end,
            ),
            phase_seconds={HISTORY_RUN_KEY: 0.0},
        )
        for w in range(weeks, 0, -1)
    ]

    with (
        transaction.atomic(),
        _explicit_timestamps(
            (ScoringRun, "started_at"),
            (RetentionAssignment, "assigned_at"),
            (ReengagementEmail, "created_at"),
            (ReengagementEmail, "updated_at"),
            (Order, "created_at"),
        ),
    ):
        demo_history_delete()
        Experiment.objects.create(
            name=HISTORY_EXPERIMENT,
            variants=[
                {"prompt_version": "v1", "weight": 50},
                {"prompt_version": "v2", "weight": 50},
            ],
            holdout_share=holdout_share,
            baseline_rate=PLAN_BASELINE,
            min_detectable_effect=PLAN_MDE,
            planned_n_per_arm=sample_size_per_arm(baseline=PLAN_BASELINE, mde=PLAN_MDE),
            started_at=horizon,
            stopped_at=as_of,
        )
        ScoringRun.objects.bulk_create(runs)
        RetentionAssignment.objects.bulk_create(assignments, batch_size=500)
        created = ReengagementEmail.objects.bulk_create(emails, batch_size=500)
        EmailTransition.objects.bulk_create(
            [
                EmailTransition(
                    email_id=email.pk,
                    from_status=source,
                    to_status=target,
                    at=at,
                    note="demo history",
                )
                for email, path in zip(created, steps, strict=True)
                for source, target, at in path
            ],
            batch_size=500,
        )
        Order.objects.bulk_create(orders, batch_size=500)
    return HistorySummary(
        runs=len(runs),
        assignments=len(assignments),
        holdout=sum(a.group == "holdout" for a in assignments),
        emails=len(emails),
        sent=sum(e.status == S.SENT for e in emails),
        orders=len(orders),
    )
