"""The shape of a draft, and the checks a model's output must pass to become one.

The model is asked for JSON through structured output, but providers behind
OpenRouter honour `strict` unevenly, so the same rules are enforced here on every
response: a draft that fails them is retried, never stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SUBJECT_LENGTH = (5, 90)
PREHEADER_LENGTH = (10, 140)
BODY_LENGTH = (200, 3000)
FIELDS = ("subject", "preheader", "body")

DRAFT_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subject": {
            "type": "string",
            "description": "Email subject line, 5-90 characters, no emoji.",
        },
        "preheader": {
            "type": "string",
            "description": "Preview text shown after the subject, 10-140 characters.",
        },
        "body": {
            "type": "string",
            "description": "Plain-text email body greeting the client by first name.",
        },
    },
    "required": list(FIELDS),
    "additionalProperties": False,
}

# Strict mode accepts only a subset of JSON Schema (no minLength/maxLength), so
# lengths are described to the model and enforced by `draft_validate`.
RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "reengagement_email",
        "strict": True,
        "schema": DRAFT_JSON_SCHEMA,
    },
}

_PLACEHOLDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("template braces", re.compile(r"\{\{.*?\}\}|\{[^{}\n]{0,60}\}|[{}]")),
    ("bracketed placeholder", re.compile(r"\[[^\]\n]{1,60}\]")),
    ("angle-bracket placeholder", re.compile(r"<[^<>\n]{1,60}>")),
    ("XXX placeholder", re.compile(r"\bX{3,}\b")),
    ("lorem ipsum", re.compile(r"\blorem\b", re.IGNORECASE)),
    ("TODO marker", re.compile(r"\b(?:TODO|TBD|FIXME)\b")),
    ("insert-here marker", re.compile(r"\binsert\s+(?:name|here|link)\b", re.I)),
)


class DraftValidationError(ValueError):
    """Raised when model output is not a usable draft; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DraftContent:
    """Hold the three texts of a validated draft."""

    subject: str
    preheader: str
    body: str

    @property
    def full_text(self) -> str:
        """Return every text a reader sees, for checks that span all fields."""
        return f"{self.subject}\n{self.preheader}\n{self.body}"


@dataclass(frozen=True, slots=True)
class DraftResult:
    """Hold a validated draft and how it was produced, for storage and cost reports.

    Token counts and `cost_usd` cover every attempt that reached the model, since
    rejected attempts are billed too; `latency_ms` is the wall-clock time of the
    whole call including retries.
    """

    subject: str
    preheader: str
    body: str
    provider: str
    model: str
    prompt_version: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal
    latency_ms: int
    attempts: int


def draft_parse(*, content: str | None, first_name: str) -> DraftContent:
    """Parse the model's message content as JSON and validate it as a draft."""
    if content is None or not content.strip():
        raise DraftValidationError("empty content")
    text = _strip_code_fence(content.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DraftValidationError(f"content is not valid JSON ({exc.msg})") from None
    return draft_validate(data=data, first_name=first_name)


def draft_validate(*, data: object, first_name: str) -> DraftContent:
    """Return `data` as a `DraftContent`, or raise `DraftValidationError`.

    Whitespace around each field is trimmed; everything else must already be
    final, sendable text addressed to `first_name`.
    """
    if not isinstance(data, Mapping):
        raise DraftValidationError("content is not a JSON object")
    keys = set(data)
    if keys != set(FIELDS):
        missing = sorted(set(FIELDS) - keys)
        extra = sorted(str(key) for key in keys - set(FIELDS))
        raise DraftValidationError(
            f"wrong fields (missing: {missing or 'none'}, "
            f"unexpected: {extra or 'none'})"
        )
    values: dict[str, str] = {}
    for name in FIELDS:
        value = data[name]
        if not isinstance(value, str):
            raise DraftValidationError(f"{name} is not a string")
        value = value.strip()
        if not value:
            raise DraftValidationError(f"{name} is empty")
        values[name] = value
    for name, (low, high) in zip(
        FIELDS, (SUBJECT_LENGTH, PREHEADER_LENGTH, BODY_LENGTH), strict=True
    ):
        length = len(values[name])
        if not low <= length <= high:
            raise DraftValidationError(
                f"{name} length {length} is outside {low}..{high} characters"
            )
    if "\n" in values["subject"] or "\n" in values["preheader"]:
        raise DraftValidationError("subject and preheader must be a single line")
    for name in FIELDS:
        problem = placeholder_problem(values[name])
        if problem:
            raise DraftValidationError(f"{name} contains an unfilled {problem}")
    if not mentions_name(text=values["body"], name=first_name):
        raise DraftValidationError("body does not address the client by first name")
    return DraftContent(**values)


def placeholder_problem(text: str) -> str | None:
    """Return a description of the first unfilled placeholder in `text`, if any."""
    for label, pattern in _PLACEHOLDERS:
        match = pattern.search(text)
        if match:
            return f"{label}: {match.group(0)!r}"
    return None


def mentions_name(*, text: str, name: str) -> bool:
    """Return whether `name` appears in `text` as a whole word, ignoring case.

    Whole words, so "Ann" is not satisfied by "annual".
    """
    name = " ".join(name.split())
    if not name:
        return False
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _strip_code_fence(text: str) -> str:
    """Remove a Markdown code fence some models wrap JSON in despite instructions."""
    match = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    return match.group(1) if match else text
