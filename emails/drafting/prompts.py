"""Load versioned prompts and render them for one client.

Prompts live in `emails/prompts/<version>/{system,user}.md` so a wording change is a
new directory, and every stored draft can say which prompt produced it. Client data
enters the user message only as a JSON object inside a `<client_data>` block, which
the system prompt declares to be data, never instructions: a stylist note reading
"ignore your instructions" stays a quoted string.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from emails.drafting.profile import ClientProfile

PROMPT_VERSION = "v1"
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
FREE_TEXT_MAX_CHARS = 500
NAME_MAX_CHARS = 60
STYLE_MAX_CHARS = 40
STYLES_MAX = 8
REASONS_MAX = 3  # the churn model gives at most three
REASON_MAX_CHARS = 120

_VERSION_RE = re.compile(r"v\d{1,4}")
# Contact details typed into free text ("call me on 555 123 4567") must not leave
# the building any more than the profile's own contact fields do.
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_RE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{6,}\d(?![\w])")
_WHITESPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """Hold one version's system prompt and user-message template."""

    version: str
    system: str
    user_template: str


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """Hold the exact messages sent to the model, and the version that made them.

    `first_name` is the name the draft must greet, kept so validation does not have
    to parse it back out of `user`.
    """

    version: str
    system: str
    user: str
    first_name: str


@functools.cache
def prompt_load(*, version: str = PROMPT_VERSION) -> PromptTemplate:
    """Return the prompt files for `version`, read once per process.

    The version is checked against `v<digits>` before touching the filesystem so a
    setting can never point the loader outside the prompts directory.
    """
    if not _VERSION_RE.fullmatch(version):
        raise ValueError(f"invalid prompt version {version!r}; expected e.g. 'v1'")
    directory = PROMPTS_DIR / version
    if not directory.is_dir():
        raise LookupError(f"unknown prompt version {version!r}")
    system = (directory / "system.md").read_text(encoding="utf-8").strip()
    user_template = (directory / "user.md").read_text(encoding="utf-8").strip()
    if "${client_data}" not in user_template:
        raise ValueError(f"prompt {version} user.md lacks the ${{client_data}} slot")
    return PromptTemplate(version=version, system=system, user_template=user_template)


def prompt_render(
    *, profile: ClientProfile, version: str = PROMPT_VERSION
) -> RenderedPrompt:
    """Return the system and user messages for drafting an email to `profile`."""
    template = prompt_load(version=version)
    user = Template(template.user_template).substitute(
        client_data=client_data_json(profile=profile)
    )
    return RenderedPrompt(
        version=version,
        system=template.system,
        user=user,
        first_name=_clean(profile.first_name, limit=NAME_MAX_CHARS),
    )


def client_data_json(*, profile: ClientProfile) -> str:
    """Return the profile as the JSON text placed inside the data block.

    `<`, `>` and `&` are escaped as JSON unicode escapes (as Django's `json_script`
    does) so free text cannot close the `</client_data>` delimiter and smuggle
    text outside the block; the model still reads the same characters.
    """
    data = {
        "first_name": _clean(profile.first_name, limit=NAME_MAX_CHARS),
        "stylist_name": _clean(profile.stylist_name, limit=NAME_MAX_CHARS),
        "tenure_months": profile.tenure_months,
        "preferred_styles": [
            _clean(style, limit=STYLE_MAX_CHARS)
            for style in profile.preferred_styles[:STYLES_MAX]
            if style.strip()
        ],
        "days_since_last_order": profile.days_since_last_order,
        "last_fix": {
            "items_sent": profile.items_sent,
            "items_kept": profile.items_kept,
            "kept_summary": _clean_optional(profile.kept_summary),
        },
        "last_feedback_rating": profile.last_feedback_rating,
        "last_feedback_comment": _clean_optional(profile.last_feedback_comment),
        "stylist_note": _clean_optional(profile.stylist_note),
        "why_at_risk": [
            _clean(reason, limit=REASON_MAX_CHARS)
            for reason in profile.churn_reasons[:REASONS_MAX]
            if reason.strip()
        ],
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _clean_optional(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = _clean(text, limit=FREE_TEXT_MAX_CHARS)
    return cleaned or None


def _clean(text: str, *, limit: int) -> str:
    """Collapse whitespace, strip contact details and bound the length.

    The length bound keeps token cost predictable and limits how much arbitrary
    text a note can put in front of the model.
    """
    text = _EMAIL_RE.sub("[email removed]", text)
    text = _PHONE_RE.sub("[phone removed]", text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
