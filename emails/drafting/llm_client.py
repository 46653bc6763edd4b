"""Ask an OpenAI-compatible endpoint (OpenRouter by default) for a draft.

The SDK's own retries are switched off (`max_retries=0`) and this module retries
instead, because only here do we know that a syntactically broken or off-schema
answer is worth another attempt, and because the waits go through an injectable
`sleep` that tests can record. Transient failures (429, 5xx, timeouts, connection
errors) back off exponentially with full jitter, honouring `Retry-After`; 4xx
client errors fail at once.

Offer-guard hits are regenerated `guard_retries` times (default once) within the
attempt budget: a model occasionally volunteers "free shipping" unprompted and a
second sample is usually clean, but a prompt injection in a stylist note tends to
win every time, so after that the call fails with `DraftRejectedByGuard` and the
caller falls back to the offline template.

Errors never carry the API key: SDK exceptions are not chained (they hold the
request, Authorization header included) and every reason string is redacted.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import math
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emails.drafting.draft_schema import (
    RESPONSE_FORMAT,
    DraftContent,
    DraftResult,
    DraftValidationError,
    draft_parse,
)
from emails.drafting.offer_guard import offer_violations
from emails.drafting.prompts import RenderedPrompt

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

PROVIDER = "openrouter"
_MILLION = Decimal(1_000_000)
_COST_QUANTUM = Decimal("0.00000001")
_CLIENT_CACHE_SIZE = 8
_REASON_MAX_CHARS = 300
_SECRET_RES = (
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)\bbearer\s+\S+"),
)


@dataclass(frozen=True, slots=True)
class LlmConfig:
    """Hold everything needed to call the model; built by Django from settings.

    `api_key` is kept out of `repr()` so a logged or displayed config cannot leak
    it. Prices are USD per million tokens and are used only when the provider does
    not report the cost itself (OpenRouter does, as `usage.cost`).
    """

    api_key: str = field(repr=False)
    base_url: str = "https://openrouter.ai/api/v1"
    model: str = "openai/gpt-4o-mini"
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 20.0
    retry_after_max_seconds: float = 60.0
    guard_retries: int = 1
    temperature: float = 0.7
    max_output_tokens: int = 1200
    app_url: str = ""
    app_title: str = "StitchEngage"
    price_prompt_per_million: Decimal = Decimal("0.15")
    price_completion_per_million: Decimal = Decimal("0.60")

    def __post_init__(self) -> None:
        if not self.api_key.strip():
            raise ValueError("api_key is required")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.guard_retries < 0:
            raise ValueError("guard_retries must not be negative")

    def headers(self) -> dict[str, str]:
        """Return OpenRouter's attribution headers (ranked and shown per app)."""
        headers = {}
        if self.app_url:
            headers["HTTP-Referer"] = self.app_url
        if self.app_title:
            headers["X-Title"] = self.app_title
        return headers


class DraftGenerationError(Exception):
    """Raised when no valid draft could be had from the model.

    `transient` tells the caller whether trying again later may help (rate limits,
    outages, timeouts) or not (bad credentials, unusable output), e.g. whether a
    Celery task should `retry()` or fall back to the offline template.
    `retry_after_seconds` is set when the provider asked for a longer wait than we
    are willing to sleep through in-process.
    """

    def __init__(
        self,
        reason: str,
        *,
        attempts: int,
        transient: bool,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(f"{reason} (after {attempts} attempt(s))")
        self.reason = reason
        self.attempts = attempts
        self.transient = transient
        self.retry_after_seconds = retry_after_seconds


class DraftRejectedByGuard(DraftGenerationError):  # noqa: N818 - reads as a verdict
    """Raised when the model kept proposing offers nobody approved."""

    def __init__(self, violations: list[str], *, attempts: int) -> None:
        quoted = ", ".join(repr(v) for v in violations)
        super().__init__(
            f"draft proposes unapproved offers: {quoted}",
            attempts=attempts,
            transient=False,
        )
        self.violations = violations


@dataclass(frozen=True, slots=True)
class _Failure:
    """Describe one failed attempt and how the retry loop should treat it."""

    reason: str
    retryable: bool = field(kw_only=True)
    transient: bool = field(kw_only=True)
    retry_after: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class _Draft:
    """Hold a schema-valid draft and the model that actually served it."""

    content: DraftContent
    model: str


@dataclass(slots=True)
class _Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)


_clients: OrderedDict[tuple[str, str, float, tuple[tuple[str, str], ...]], Any] = (
    OrderedDict()
)
_clients_lock = threading.Lock()


def llm_client_get(*, config: LlmConfig) -> openai.OpenAI:
    """Return a cached SDK client for `config`.

    Building a client sets up an HTTP connection pool, so it is reused across
    calls (and threads: the SDK client is thread-safe). The key holds a hash of the
    API key, not the key, and the cache is small because a process talks to one
    or two endpoints.
    """
    key_hash = hashlib.sha256(config.api_key.encode()).hexdigest()
    cache_key = (
        config.base_url,
        key_hash,
        config.timeout_seconds,
        tuple(sorted(config.headers().items())),
    )
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is not None:
            _clients.move_to_end(cache_key)
            return client
        import openai  # ~1 s of imports: not at Django start-up, only to draft

        client = openai.OpenAI(
            base_url=config.base_url,
            api_key=config.api_key,
            timeout=config.timeout_seconds,
            max_retries=0,
            default_headers=config.headers(),
        )
        _clients[cache_key] = client
        while len(_clients) > _CLIENT_CACHE_SIZE:
            _clients.popitem(last=False)
        return client


def llm_clients_clear() -> None:
    """Forget cached clients, e.g. after rotating the API key in tests."""
    with _clients_lock:
        _clients.clear()


def draft_complete(
    *,
    config: LlmConfig,
    prompt: RenderedPrompt,
    sleep: Callable[[float], None] = time.sleep,
) -> DraftResult:
    """Return a validated, offer-free draft for `prompt`, retrying what is worth it.

    Raise `DraftRejectedByGuard` when every permitted sample proposed an offer, and
    `DraftGenerationError` for anything else that exhausts or ends the attempts.
    """
    client = llm_client_get(config=config)
    usage = _Usage()
    started = time.monotonic()
    guard_hits = 0
    attempt = 0
    while True:
        attempt += 1
        outcome = _attempt(client, config=config, prompt=prompt, usage=usage)
        if isinstance(outcome, _Draft):
            violations = offer_violations(outcome.content.full_text)
            if not violations:
                return _result(
                    outcome.content,
                    model=outcome.model,
                    prompt=prompt,
                    usage=usage,
                    started=started,
                    attempts=attempt,
                )
            guard_hits += 1
            logger.warning(
                "Draft attempt %d/%d proposed offers %s",
                attempt,
                config.max_attempts,
                violations,
            )
            if guard_hits > config.guard_retries or attempt >= config.max_attempts:
                raise DraftRejectedByGuard(violations, attempts=attempt)
            continue  # resample at once: nothing failed that a wait would help

        failure = outcome
        reason = _redact(failure.reason, api_key=config.api_key)
        if not failure.retryable or attempt >= config.max_attempts:
            logger.warning(
                "Draft generation failed after %d attempt(s): %s", attempt, reason
            )
            raise DraftGenerationError(
                reason,
                attempts=attempt,
                transient=failure.transient,
                retry_after_seconds=failure.retry_after,
            )
        if (
            failure.retry_after is not None
            and failure.retry_after > config.retry_after_max_seconds
        ):
            # Sleeping through a long server-directed wait would tie up a worker;
            # hand the wait to the caller (Celery can retry with a countdown).
            logger.warning(
                "Provider asked to wait %.1fs, more than the %.1fs we allow: %s",
                failure.retry_after,
                config.retry_after_max_seconds,
                reason,
            )
            raise DraftGenerationError(
                reason,
                attempts=attempt,
                transient=True,
                retry_after_seconds=failure.retry_after,
            )
        delay = _backoff_delay(attempt=attempt, failure=failure, config=config)
        logger.warning(
            "Draft attempt %d/%d failed (%s); retrying in %.2fs",
            attempt,
            config.max_attempts,
            reason,
            delay,
        )
        sleep(delay)


def _attempt(
    client: openai.OpenAI, *, config: LlmConfig, prompt: RenderedPrompt, usage: _Usage
) -> _Draft | _Failure:
    """Make one request; return a schema-valid draft or what went wrong."""
    import openai  # loaded by llm_client_get already

    try:
        completion = client.chat.completions.create(
            model=config.model,
            messages=[
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            response_format=RESPONSE_FORMAT,  # type: ignore[arg-type]
            temperature=config.temperature,
            max_tokens=config.max_output_tokens,
        )
    except openai.APIError as exc:
        return _failure_from_exception(exc, config=config)
    _add_usage(usage, completion=completion, config=config)
    if not completion.choices:
        # OpenRouter reports some upstream failures as HTTP 200 with no choices.
        return _Failure("provider returned no choices", retryable=True, transient=True)
    try:
        content = _draft_from_choice(
            completion.choices[0], first_name=prompt.first_name
        )
    except DraftValidationError as exc:
        return _Failure(
            f"unusable model output: {exc.reason}", retryable=True, transient=False
        )
    return _Draft(content=content, model=completion.model or config.model)


def _draft_from_choice(choice: Any, *, first_name: str) -> DraftContent:
    message = choice.message
    if getattr(message, "refusal", None):
        raise DraftValidationError("model refused")
    if choice.finish_reason == "length":
        raise DraftValidationError("output truncated at the token limit")
    return draft_parse(content=message.content, first_name=first_name)


def _failure_from_exception(exc: openai.APIError, *, config: LlmConfig) -> _Failure:
    """Classify an SDK error; only describe it in words that cannot hold secrets."""
    import openai  # loaded by llm_client_get already

    if isinstance(exc, openai.APITimeoutError):
        reason = f"request timed out after {config.timeout_seconds:g}s"
        return _Failure(reason, retryable=True, transient=True)
    if isinstance(exc, openai.APIConnectionError):
        reason = "could not connect to the provider"
        return _Failure(reason, retryable=True, transient=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _provider_detail(exc)
        reason = f"HTTP {status} from provider{': ' + detail if detail else ''}"
        if status in (408, 429) or status >= 500:
            return _Failure(
                reason,
                retryable=True,
                transient=True,
                retry_after=_retry_after_seconds(exc.response),
            )
        # 400/401/402/403/404/422: the same request will fail the same way.
        return _Failure(reason, retryable=False, transient=False)
    # APIResponseValidationError and the like: the response itself was unusable.
    reason = f"unusable provider response ({type(exc).__name__})"
    return _Failure(reason, retryable=True, transient=False)


def _provider_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    message: object = None
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error")
    if isinstance(message, Mapping):
        message = message.get("message")
    if not isinstance(message, str):
        return ""
    return " ".join(message.split())[:_REASON_MAX_CHARS]


def _retry_after_seconds(response: Any) -> float | None:
    """Return the server-requested wait: `retry-after-ms`, then `retry-after`."""
    headers = response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = headers.get("retry-after")
    if value:
        # An HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT") is allowed too.
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is not None:
            return max(0.0, when.timestamp() - time.time())
    return None


def _backoff_delay(*, attempt: int, failure: _Failure, config: LlmConfig) -> float:
    """Return how long to wait before the next attempt.

    Full jitter (a uniform draw up to the exponential cap) spreads out workers
    that failed together. A server-directed wait is honoured in full, plus a small
    jitter so a fleet of workers does not return in the same instant.
    """
    cap = min(
        config.backoff_max_seconds, config.backoff_base_seconds * 2 ** (attempt - 1)
    )
    jitter = random.uniform(0, cap)  # noqa: S311 - timing jitter, not security
    if failure.retry_after is not None:
        return failure.retry_after + min(jitter, config.backoff_base_seconds)
    return jitter


def _add_usage(usage: _Usage, *, completion: Any, config: LlmConfig) -> None:
    reported = completion.usage
    if reported is None:
        return
    prompt_tokens = int(reported.prompt_tokens or 0)
    completion_tokens = int(reported.completion_tokens or 0)
    usage.prompt_tokens += prompt_tokens
    usage.completion_tokens += completion_tokens
    cost = getattr(reported, "cost", None)
    if isinstance(cost, int | float | str) and not isinstance(cost, bool):
        # OpenRouter bills in credits, 1 credit = 1 USD; str() avoids float noise.
        usage.cost_usd += Decimal(str(cost))
    else:
        usage.cost_usd += (
            prompt_tokens * config.price_prompt_per_million
            + completion_tokens * config.price_completion_per_million
        ) / _MILLION


def _result(
    draft: DraftContent,
    *,
    model: str,
    prompt: RenderedPrompt,
    usage: _Usage,
    started: float,
    attempts: int,
) -> DraftResult:
    latency_ms = round((time.monotonic() - started) * 1000)
    cost = usage.cost_usd.quantize(_COST_QUANTUM)
    logger.info(
        "Drafted email with %s (prompt %s) in %d attempt(s), %dms, %d+%d tokens, $%s",
        model,
        prompt.version,
        attempts,
        latency_ms,
        usage.prompt_tokens,
        usage.completion_tokens,
        cost,
    )
    return DraftResult(
        subject=draft.subject,
        preheader=draft.preheader,
        body=draft.body,
        provider=PROVIDER,
        model=model,
        prompt_version=prompt.version,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_usd=cost,
        latency_ms=latency_ms,
        attempts=attempts,
    )


def _redact(text: str, *, api_key: str) -> str:
    text = text.replace(api_key, "[redacted]")
    for pattern in _SECRET_RES:
        text = pattern.sub("[redacted]", text)
    return text
