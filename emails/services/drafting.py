"""When a draft is made: decide whether a snapshot gets one, and write it.

The flow, from a score to a draft awaiting review:

1. Rescoring saves a snapshot. One client: ``scoring/services/rescoring.py``
   ``score_client_one`` saves it with ``save()``; the nightly run
   (``clients_rescore``) writes in bulk and, after its commit, sends
   ``scoring/signals.py`` ``clients_moved_into_at_risk`` with the snapshots
   that moved into at risk.
2. ``emails/receivers.py`` hears it (``snapshot_saved`` on ``post_save`` when
   ``moved_into_at_risk``, ``clients_moved`` for the bulk signal) and only
   publishes ``emails.generate_draft`` per snapshot on commit
   (``emails/services/task_queue.py``).
3. ``emails/tasks.py`` ``generate_draft_task`` runs the two steps below; a
   transient model failure comes back as ``retry_in`` and the task retries.
4. ``draft_request_evaluate(claim=True)`` decides, here: one read of every
   fact (``drafting_facts.py``, its SQL in ``emails/sql.py``), the rules of
   ``eligibility.py`` (consent, unsubscribe, suppression, frequency cap, one
   open email), the holdout draw (``holdout.py``, the running experiment of
   ``experiments.py``); for treatment the email is created already claimed,
   in drafting, through ``transitions.email_transition``. Called again for the
   same snapshot it returns what the first call made.
5. ``draft_generate`` writes it: the client profile (never contact details),
   the model call outside any transaction (``emails/drafting/``: prompts, LLM
   client, offer guard), then the move to pending review, guarded in the same
   UPDATE by ``eligibility.EMAIL_CLIENT_CONTACTABLE`` so a client who opted
   out meanwhile is suppressed instead. Failures end queued (retry, or the
   lost-work sweep of ``draft_sweep.py``) or failed, never half-written.

A reviewer's "regenerate" (``review.email_regenerate``) enters at 5 through
``emails.regenerate_draft``, claiming its queued email with the same
conditional move, so a redelivered task makes no second model call.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Client, RiskTier
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
from emails.models import EmailStatus, ReengagementEmail
from emails.services.drafting_facts import drafting_facts, recent_fixes
from emails.services.eligibility import (
    EMAIL_CLIENT_CONTACTABLE,
    client_contact_block_reason,
    client_contact_block_reason_now,
    draft_block_reason,
)
from emails.services.holdout import Group, retention_assignment_create
from emails.services.task_queue import task_enqueue
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
# A queued email untouched for longer than any retry waits (the longest is
# DRAFT_RETRY_MAX_SECONDS, 15 minutes) has lost its task.
QUEUED_STRANDED_SECONDS = 15 * 60 + 5 * 60
DRAFT_NOT_QUEUED = "not queued for drafting: the task queue could not be reached"
# The start of the error of a draft whose retries ran out on a transient model
# failure: it stays queued, and the lost-work sweep publishes it again.
DRAFT_RETRIES_EXHAUSTED = "model unavailable after every retry; drafted again later"
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


def draft_request_evaluate(
    *, snapshot_id: int, claim: bool = False, _race_retry: bool = True
) -> DraftRequest:
    """Apply eligibility and holdout to a snapshot and queue an email if allowed.

    One read decides (``drafting_facts``); one transaction records the
    holdout assignment and the email. With ``claim`` the new email is created
    already claimed for drafting (status drafting, its queued -> drafting move
    recorded), for the task that drafts it next: one write instead of two.

    Safe to call any number of times for the same snapshot: the email is keyed
    by the snapshot, the assignment is unique per client and snapshot, and the
    one-open-email-per-client constraint settles races between snapshots; a
    call that loses such a race reads again and reports what won.
    """
    key = _idempotency_key(snapshot_id)
    facts = drafting_facts(snapshot_id=snapshot_id, idempotency_key=key)
    if facts is None:
        existing = ReengagementEmail.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return DraftRequest(EXISTING, email=existing)
        return DraftRequest(MISSING, reason="snapshot deleted")
    client = facts.client
    if facts.keyed_email_id is not None:
        existing = ReengagementEmail.objects.get(pk=facts.keyed_email_id)
        existing.client = client  # read with its stylist above
        return DraftRequest(EXISTING, email=existing)
    if facts.risk_tier != RiskTier.AT_RISK:
        return DraftRequest(SKIPPED, reason=NOT_AT_RISK)
    reason = draft_block_reason(
        marketing_consent=client.marketing_consent,
        unsubscribed_at=client.unsubscribed_at,
        suppressed=facts.suppressed,
        sent_recently=facts.sent_recently,
        open_email=facts.open_email,
    )
    if reason:
        return DraftRequest(SKIPPED, reason=reason)
    try:
        with transaction.atomic():
            group, variant = facts.assigned_group, facts.assigned_prompt_version
            if group is None:
                assignment = retention_assignment_create(
                    client=client, snapshot_id=snapshot_id, plan=facts.experiment
                )
                group, variant = assignment.group, assignment.prompt_version
            if group == Group.HOLDOUT:
                return DraftRequest(HOLDOUT, reason="holdout group")
            email = ReengagementEmail(
                idempotency_key=key,
                client=client,
                snapshot_id=snapshot_id,
                # The variant travels with the email, so a regeneration keeps it.
                prompt_version=variant or settings.EMAIL_PROMPT_VERSION,
            )
            if claim:  # inserted in drafting, its queued -> drafting move recorded
                email = email_transition(email=email, to=EmailStatus.DRAFTING)
            else:
                email.save(force_insert=True)
    except IntegrityError:
        if not _race_retry:
            raise
        # A concurrent delivery recorded this snapshot first, or another snapshot
        # of the same client won the one-open-email race: report what won.
        return draft_request_evaluate(
            snapshot_id=snapshot_id, claim=claim, _race_retry=False
        )
    return DraftRequest(QUEUED, email=email)


_RECENT_ORDERS = 12


def client_profile_build(
    *, client: Client, now: dt.datetime | None = None
) -> ClientProfile:
    """Return the minimal facts a draft is written from; never contact details.

    The churn reasons are the client's latest snapshot's (the one that put
    them at risk and queued the draft), so the model knows what to address.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The recent Fixes (delivered ones, newest first): the last one and the last
    # rated one are nearly always among them.
    recent = recent_fixes(client_id=client.pk, limit=_RECENT_ORDERS)
    last_fix = recent[0] if recent else None
    rated = next((order for order in recent if order["rating"] is not None), None)
    stylist = client.stylist
    stylist_name = (stylist.first_name.strip() if stylist else "") or (
        FALLBACK_STYLIST_NAME
    )
    last_order_at = client.last_order_at or (
        last_fix["ordered_at"] if last_fix else None
    )
    return ClientProfile(
        first_name=client.first_name.strip(),
        stylist_name=stylist_name,
        tenure_months=max(0, int((today - client.signup_date).days / _DAYS_PER_MONTH)),
        preferred_styles=tuple(str(s) for s in client.preferred_styles or ()),
        items_sent=last_fix["items_sent"] if last_fix else 0,
        items_kept=last_fix["items_kept"] if last_fix else 0,
        kept_summary=(last_fix["kept_items"] or None) if last_fix else None,
        days_since_last_order=max(0, (now - last_order_at).days)
        if last_order_at
        else None,
        last_feedback_rating=rated["rating"] if rated else None,
        last_feedback_comment=(rated["feedback_comment"] or None) if rated else None,
        stylist_note=client.stylist_notes or None,
        churn_reasons=tuple(str(r) for r in _latest_churn_reasons(client.pk)),
    )


def _latest_churn_reasons(client_id: int) -> list[str]:
    reasons = (
        ScoreSnapshot.objects.filter(client_id=client_id)
        .order_by("-scored_at", "-pk")
        .values_list("churn_reasons", flat=True)
        .first()
    )
    return reasons or []


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


def draft_compose(*, profile: ClientProfile, prompt_version: str = "") -> DraftResult:
    """Return a draft from the model when a key is configured, else the template.

    ``prompt_version`` is the email's variant; emails queued before variants were
    recorded have none and get ``EMAIL_PROMPT_VERSION``.
    """
    version = prompt_version or settings.EMAIL_PROMPT_VERSION
    if settings.OPENROUTER_API_KEY:
        prompt = prompt_render(profile=profile, version=version)
        return draft_complete(config=llm_config_from_settings(), prompt=prompt)
    return draft_compose_offline(profile=profile, prompt_version=version)


def draft_retry_wait_range(*, retries: int) -> tuple[float, float]:
    """Return the shortest and longest wait before retry number ``retries + 1``.

    ``DRAFT_RETRY_BASE_SECONDS`` doubling per retry up to
    ``DRAFT_RETRY_MAX_SECONDS``; half of it is jitter.
    """
    cap = min(
        settings.DRAFT_RETRY_MAX_SECONDS, settings.DRAFT_RETRY_BASE_SECONDS * 2**retries
    )
    return cap / 2, cap


def draft_retry_countdown(*, retries: int, retry_after: float | None = None) -> float:
    """Return seconds to wait before retry number ``retries + 1``.

    Exponential with jitter so workers that failed together do not return
    together; a longer wait the provider asked for wins.
    """
    shortest, longest = draft_retry_wait_range(retries=retries)
    countdown = random.uniform(shortest, longest)  # noqa: S311 - jitter
    return max(countdown, retry_after or 0.0)


def draft_abandoned(
    email: ReengagementEmail, *, now: dt.datetime | None = None
) -> bool:
    """Return whether a drafting email outlived its lease: its worker is gone."""
    lease = dt.timedelta(seconds=settings.DRAFTING_LEASE_SECONDS)
    return email.status == EmailStatus.DRAFTING and (
        email.updated_at < (now or timezone.now()) - lease
    )


def draft_enqueue(*, email_id: int) -> bool:
    """Publish the drafting of a queued email; return whether it was published.

    Called on commit. When the broker cannot be reached the email stays queued
    with ``DRAFT_NOT_QUEUED`` as its error, which the reviewer is shown and by
    which ``generate_drafts`` knows to publish it again at once.
    """
    from emails.tasks import regenerate_draft_task  # the tasks import this module

    queued = ReengagementEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED)
    if task_enqueue(regenerate_draft_task, email_id):
        queued.filter(error=DRAFT_NOT_QUEUED).update(error="")
        return True
    queued.update(error=DRAFT_NOT_QUEUED)
    return False


def draft_generate(
    *,
    email: ReengagementEmail,
    retries: int = 0,
    max_retries: int = 0,
    claimed: bool = False,
    sweep_when_exhausted: bool = False,
) -> DraftOutcome:
    """Claim a queued email, draft it and put it up for review.

    The claim is a conditional update, so a redelivered task finds nothing to do
    and makes no second model call. ``claimed`` says the caller created the email
    already claimed (``draft_request_evaluate(claim=True)``) moments ago, having
    applied the contact rules. The model call runs outside any transaction. A
    transient failure with retries left goes back to queued and returns
    ``retry_in``; with none left and ``sweep_when_exhausted`` it stays queued
    (``DRAFT_RETRIES_EXHAUSTED``) for the lost-work sweep; anything else ends in
    failed, with a reason free of secrets.
    The contact rules are applied again by the move to pending review itself.
    """
    if not claimed:
        try:
            if draft_abandoned(email):
                email = email_transition(
                    email=email,
                    to=EmailStatus.QUEUED,
                    note="drafting abandoned by its worker; drafting again",
                )
            email = email_transition(email=email, to=EmailStatus.DRAFTING)
        except IllegalTransition:
            return DraftOutcome(email=email, claimed=False)
    if ReengagementEmail.client.is_cached(email):
        client = email.client  # fetched with its stylist when the email was queued
    else:
        client = Client.objects.select_related("stylist").get(pk=email.client_id)
    blocked = None if claimed else client_contact_block_reason(client=client)
    if blocked:
        email = email_transition(email=email, to=EmailStatus.SUPPRESSED, note=blocked)
        return DraftOutcome(email=email, claimed=True)
    try:
        profile = client_profile_build(client=client)
        result = draft_compose(profile=profile, prompt_version=email.prompt_version)
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
        if exc.transient and sweep_when_exhausted:
            reason = f"{DRAFT_RETRIES_EXHAUSTED}: {exc.reason}"
            logger.warning("Draft for email #%s: %s", email.pk, reason)
            email = email_transition(
                email=email,
                to=EmailStatus.QUEUED,
                note=reason,
                error=reason,
                attempts=email.attempts + exc.attempts,
            )
            return DraftOutcome(email=email, claimed=True)
        email = _draft_fail(email, reason=exc.reason, failure=exc)
        return DraftOutcome(email=email, claimed=True)
    except (DraftValidationError, ValueError) as exc:
        email = _draft_fail(email, reason=f"client profile unusable: {exc}")
        return DraftOutcome(email=email, claimed=True)
    # The client may have unsubscribed or bounced while the model was writing:
    # the move to review is conditional on the contact rules, read by the UPDATE.
    try:
        email = email_transition(
            email=email,
            to=EmailStatus.PENDING_REVIEW,
            guard=EMAIL_CLIENT_CONTACTABLE,
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
    except IllegalTransition:
        blocked = client_contact_block_reason_now(client_id=client.pk)
        if not blocked:  # moved by someone else meanwhile: theirs stands
            logger.warning("Email #%s left drafting while the model wrote", email.pk)
            email.refresh_from_db()
            return DraftOutcome(email=email, claimed=False)
        email = email_transition(email=email, to=EmailStatus.SUPPRESSED, note=blocked)
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
