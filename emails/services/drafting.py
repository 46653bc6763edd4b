"""Decide whether a snapshot gets a draft, and write the draft."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Client, Order, OrderStatus, RiskTier
from emails.drafting import (
    ClientProfile,
    DraftGenerationError,
    DraftRejectedByGuard,
    DraftResult,
    DraftValidationError,
    LlmConfig,
    draft_complete,
    draft_compose_offline,
    prompt_render,
)
from emails.models import OPEN_STATUSES, EmailStatus, ReengagementEmail
from emails.services.eligibility import (
    client_contact_block_reason,
    client_contact_block_reason_now,
    client_draft_ineligibility,
)
from emails.services.holdout import Group, retention_assignment_record
from emails.services.transitions import IllegalTransition, email_transition
from scoring.models import ScoreSnapshot

logger = logging.getLogger(__name__)

QUEUED = "queued"
EXISTING = "existing"
HOLDOUT = "holdout"
SKIPPED = "skipped"
MISSING = "missing"
NOT_AT_RISK = "not at risk"
FALLBACK_STYLIST_NAME = "Your stylist"
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 15 * 60.0
_DAYS_PER_MONTH = 30.44


@dataclass(frozen=True, slots=True)
class DraftRequest:
    """Say what became of a snapshot: an email (new or existing), or why none."""

    outcome: str
    email: ReengagementEmail | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    """Say what a drafting attempt did; ``retry_in`` asks the caller to try later."""

    email: ReengagementEmail
    claimed: bool
    retry_in: float | None = None


def _idempotency_key(snapshot_id: int) -> str:
    return f"snapshot:{snapshot_id}"


def draft_request_evaluate(*, snapshot_id: int) -> DraftRequest:
    """Apply eligibility and holdout to a snapshot and queue an email if allowed.

    Safe to call any number of times for the same snapshot: the email is keyed
    by the snapshot, the assignment is unique per client and snapshot, and the
    one-open-email-per-client constraint settles races between snapshots.
    """
    key = _idempotency_key(snapshot_id)
    existing = ReengagementEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return DraftRequest(EXISTING, email=existing)
    snapshot = (
        ScoreSnapshot.objects.select_related("client__stylist")
        .filter(pk=snapshot_id)
        .first()
    )
    if snapshot is None:
        return DraftRequest(MISSING, reason="snapshot deleted")
    if snapshot.risk_tier != RiskTier.AT_RISK:
        return DraftRequest(SKIPPED, reason=NOT_AT_RISK)
    client = snapshot.client
    reason = client_draft_ineligibility(client=client)
    if reason:
        return DraftRequest(SKIPPED, reason=reason)
    assignment = retention_assignment_record(client=client, snapshot=snapshot)
    if assignment.group == Group.HOLDOUT:
        return DraftRequest(HOLDOUT, reason="holdout group")
    try:
        with transaction.atomic():
            email = ReengagementEmail.objects.create(
                idempotency_key=key, client=client, snapshot=snapshot
            )
    except IntegrityError:
        # A concurrent delivery queued this snapshot, or another snapshot of the
        # same client won the one-open-email race: return whichever email is open.
        email = (
            ReengagementEmail.objects.filter(idempotency_key=key).first()
            or ReengagementEmail.objects.filter(
                client=client, status__in=OPEN_STATUSES
            ).first()
        )
        return DraftRequest(EXISTING, email=email)
    return DraftRequest(QUEUED, email=email)


def draft_request_for_snapshot(*, snapshot_id: int) -> ReengagementEmail | None:
    """Return the email queued for a snapshot, creating it if the client qualifies."""
    return draft_request_evaluate(snapshot_id=snapshot_id).email


_RECENT_ORDERS = 12


def client_profile_build(
    *, client: Client, now: dt.datetime | None = None
) -> ClientProfile:
    """Return the minimal facts a draft is written from; never contact details."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # One query for the recent Fixes; the last one and the last rated one are
    # nearly always among them.
    recent = list(
        Order.objects.filter(client=client)
        .exclude(status__in=(OrderStatus.SCHEDULED, OrderStatus.CANCELED))
        .order_by("-ordered_at", "-id")
        .only(
            "ordered_at",
            "items_sent",
            "items_kept",
            "kept_items",
            "rating",
            "feedback_comment",
        )[:_RECENT_ORDERS]
    )
    last_fix = recent[0] if recent else None
    rated = next((order for order in recent if order.rating is not None), None)
    stylist = client.stylist
    stylist_name = (stylist.first_name.strip() if stylist else "") or (
        FALLBACK_STYLIST_NAME
    )
    last_order_at = client.last_order_at or (last_fix.ordered_at if last_fix else None)
    return ClientProfile(
        first_name=client.first_name.strip(),
        stylist_name=stylist_name,
        tenure_months=max(0, int((today - client.signup_date).days / _DAYS_PER_MONTH)),
        preferred_styles=tuple(str(s) for s in client.preferred_styles or ()),
        items_sent=last_fix.items_sent if last_fix else 0,
        items_kept=last_fix.items_kept if last_fix else 0,
        kept_summary=(last_fix.kept_items or None) if last_fix else None,
        days_since_last_order=max(0, (now - last_order_at).days)
        if last_order_at
        else None,
        last_feedback_rating=rated.rating if rated else None,
        last_feedback_comment=(rated.feedback_comment or None) if rated else None,
        stylist_note=client.stylist_notes or None,
    )


def llm_config_from_settings() -> LlmConfig:
    """Return the model configuration the project's settings describe."""
    return LlmConfig(
        api_key=settings.OPENROUTER_API_KEY,
        base_url=settings.LLM_BASE_URL,
        model=settings.LLM_MODEL,
        timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
        max_attempts=settings.LLM_MAX_ATTEMPTS,
        app_url=settings.SITE_URL,
    )


def draft_compose(*, profile: ClientProfile) -> DraftResult:
    """Return a draft from the model when a key is configured, else the template."""
    version = settings.EMAIL_PROMPT_VERSION
    if settings.OPENROUTER_API_KEY:
        prompt = prompt_render(profile=profile, version=version)
        return draft_complete(config=llm_config_from_settings(), prompt=prompt)
    return draft_compose_offline(profile=profile, prompt_version=version)


def draft_retry_countdown(*, retries: int, retry_after: float | None = None) -> float:
    """Return seconds to wait before retry number ``retries + 1``.

    Exponential with jitter so workers that failed together do not return
    together; a longer wait the provider asked for wins.
    """
    cap = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries)
    countdown = cap / 2 + random.uniform(0, cap / 2)  # noqa: S311 - jitter
    return max(countdown, retry_after or 0.0)


def draft_generate(
    *,
    email: ReengagementEmail,
    retries: int = 0,
    max_retries: int = 0,
    contact_checked: bool = False,
) -> DraftOutcome:
    """Claim a queued email, draft it and put it up for review.

    The claim is a conditional update, so a redelivered task finds nothing to do
    and makes no second model call. The model call runs outside any transaction.
    A transient failure with retries left goes back to queued and returns
    ``retry_in``; anything else ends in failed, with a reason free of secrets.
    ``contact_checked`` says the caller applied the contact rules moments ago
    (it just queued the email); they are applied again after the model call.
    """
    try:
        email = email_transition(email=email, to=EmailStatus.DRAFTING)
    except IllegalTransition:
        return DraftOutcome(email=email, claimed=False)
    if ReengagementEmail.client.is_cached(email):
        client = email.client  # fetched with its stylist when the email was queued
    else:
        client = Client.objects.select_related("stylist").get(pk=email.client_id)
    blocked = None if contact_checked else client_contact_block_reason(client=client)
    if blocked:
        email = email_transition(email=email, to=EmailStatus.SUPPRESSED, note=blocked)
        return DraftOutcome(email=email, claimed=True)
    try:
        profile = client_profile_build(client=client)
        result = draft_compose(profile=profile)
    except DraftRejectedByGuard as exc:
        email = _draft_fail(email, reason=f"offer guard: {exc.reason}", failure=exc)
        return DraftOutcome(email=email, claimed=True)
    except DraftGenerationError as exc:
        if exc.transient and retries < max_retries:
            countdown = draft_retry_countdown(
                retries=retries, retry_after=exc.retry_after_seconds
            )
            email = email_transition(
                email=email,
                to=EmailStatus.QUEUED,
                note=f"retry in {countdown:.0f}s: {exc.reason}",
                error=exc.reason,
                attempts=email.attempts + exc.attempts,
            )
            return DraftOutcome(email=email, claimed=True, retry_in=countdown)
        email = _draft_fail(email, reason=exc.reason, failure=exc)
        return DraftOutcome(email=email, claimed=True)
    except (DraftValidationError, ValueError) as exc:
        email = _draft_fail(email, reason=f"client profile unusable: {exc}")
        return DraftOutcome(email=email, claimed=True)
    # The client may have unsubscribed or bounced while the model was writing.
    blocked = client_contact_block_reason_now(client_id=client.pk)
    if blocked:
        email = email_transition(email=email, to=EmailStatus.SUPPRESSED, note=blocked)
        return DraftOutcome(email=email, claimed=True)
    email = email_transition(
        email=email,
        to=EmailStatus.PENDING_REVIEW,
        subject=result.subject,
        preheader=result.preheader,
        body=result.body,
        provider=result.provider,
        model=result.model,
        prompt_version=result.prompt_version,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        cost_usd=result.cost_usd,
        latency_ms=result.latency_ms,
        attempts=email.attempts + result.attempts,
        error="",
    )
    return DraftOutcome(email=email, claimed=True)


def _draft_fail(
    email: ReengagementEmail,
    *,
    reason: str,
    failure: DraftGenerationError | None = None,
) -> ReengagementEmail:
    logger.warning("Draft for email #%s failed: %s", email.pk, reason)
    return email_transition(
        email=email,
        to=EmailStatus.FAILED,
        note=reason,
        error=reason,
        attempts=email.attempts + (failure.attempts if failure else 0),
    )
