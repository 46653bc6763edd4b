"""Compose a personal draft from templates when no model is available or usable.

Used in development without an API key, in tests and benchmarks, and as the
fallback when the model fails or keeps proposing offers. It is deterministic (the
same profile always gives the same draft, so reviews and tests are stable) but
picks among several phrasings per profile so a reviewer's queue does not read as
one form letter. The stylist note is never used: it is internal, and a template
cannot judge which parts of it are safe to say.

Each prompt version has its own layout, so a demo or a test of a prompt A/B split
shows the variants apart: v1 opens with the time since the last Fix, v2 leads
with the stylist's picks and ends on a question. A version with no layout of its
own gets v1's.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from decimal import Decimal

from emails.drafting.draft_schema import (
    PREHEADER_LENGTH,
    SUBJECT_LENGTH,
    DraftResult,
    DraftValidationError,
    draft_validate,
    placeholder_problem,
)
from emails.drafting.offer_guard import offer_violations
from emails.drafting.profile import ClientProfile

PROVIDER = "offline-template"
MODEL = "offline-template-v1"
_PHRASE_MAX_CHARS = 80
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven")
_NUMBER_WORDS += ("eight", "nine", "ten", "eleven", "twelve")

_SUBJECTS = (
    "{name}, I've been thinking about your next Fix",
    "A few new ideas for you, {name}",
    "{name}, shall we put together your next Fix?",
    "It's been a while, {name}",
)
_SUBJECTS_NAMELESS = (
    "I've been thinking about your next Fix",
    "A few new ideas for your next Fix",
)
_PREHEADERS = (
    "A quick note from {stylist}, your stylist",
    "{stylist} has a few ideas picked out with you in mind",
    "Tell me what you're after and I'll take it from there",
)
_GREETINGS = ("Hi {name},", "Hello {name},", "Hey {name},")
_OPENERS = (
    "It's been {gap} since your last Fix, and I've been thinking about what "
    "I'd choose for you next.",
    "I was looking back over your last Fix the other day; it has been {gap}, and "
    "I'd love to style you again.",
    "It has been {gap} since I last put a Fix together for you, and I miss it!",
)
_INVITATIONS = (
    "If you have a minute, just reply to this email and tell me what's on your "
    "list this season: an event coming up, a gap in your wardrobe, or simply "
    "something new to feel good in. I'll build your next Fix around it.",
    "Whenever it suits you, you can schedule your next Fix from your account, or "
    "reply here with anything you'd like me to look for. There's no rush at all.",
    "Reply to this email with a line or two about what you're in the mood for, "
    "and I'll take it from there. And if the timing isn't right, that's "
    "completely fine too.",
)
_SIGN_OFFS = ("Warmly,", "Talk soon,", "All the best,", "Happy styling,")

# v2: lead with the stylist's picks.
_PICKS_SUBJECTS = (
    "{name}, a few pieces I'd pick for you",
    "I've started on your next Fix, {name}",
    "{name}, some ideas for your next Fix",
)
_PICKS_SUBJECTS_NAMELESS = ("A few pieces I'd pick for you",)
_PICKS_PREHEADERS = (
    "{stylist} has been picking out ideas for you",
    "A few ideas from {stylist}, your stylist",
)
_PICKS_NO_STYLES = (
    "I'd love to start on your next Fix, and I'd like to hear what you're after "
    "first, so every piece in the box is one you'd reach for."
)
_PICKS_NO_STYLES_QUESTION = (
    "What are you in the mood for this season? Just reply to this email with a "
    "line or two, or schedule your next Fix whenever it suits you."
)
_PICKS_QUESTIONS = (
    "Which of those sounds most like you right now? Just reply to this email "
    "with a word or two and I'll take it from there, or schedule your next Fix "
    "whenever it suits you.",
    "Is there anything you'd like me to add, or leave out this time? Reply with a "
    "line or two and I'll build your next Fix around it. No rush at all.",
)


def draft_compose_offline(
    *, profile: ClientProfile, prompt_version: str
) -> DraftResult:
    """Return a validated template draft for `profile`, at zero token cost.

    `prompt_version` is recorded as given so drafts stored side by side with model
    drafts say which prompt generation they stand in for.

    Raise `DraftValidationError` if the profile's own name makes a valid draft
    impossible (e.g. a first name of 70 characters); every text the template adds
    from free fields is filtered first.
    """
    started = time.monotonic()
    pick = _Picker(profile)
    name = _collapse(profile.first_name)
    stylist = _collapse(profile.stylist_name).split(" ")[0]
    headings, compose = _LAYOUTS.get(prompt_version, _LAYOUTS["v1"])
    subject, preheader = _subject_and_preheader(
        headings, pick=pick, name=name, stylist=stylist
    )
    body = compose(profile=profile, pick=pick, name=name, stylist=stylist)

    draft = draft_validate(
        data={"subject": subject, "preheader": preheader, "body": body},
        first_name=name,
    )
    violations = offer_violations(draft.full_text)
    if violations:
        raise DraftValidationError(f"template produced offer-like text: {violations}")
    return DraftResult(
        subject=draft.subject,
        preheader=draft.preheader,
        body=draft.body,
        provider=PROVIDER,
        model=MODEL,
        prompt_version=prompt_version,
        prompt_tokens=0,
        completion_tokens=0,
        cost_usd=Decimal(0),
        latency_ms=round((time.monotonic() - started) * 1000),
        attempts=1,
    )


def _compose_time_first(
    *, profile: ClientProfile, pick: _Picker, name: str, stylist: str
) -> str:
    """Return v1's body: the time away, then the details."""
    paragraphs = [
        pick.one(_GREETINGS).format(name=name),
        " ".join(
            s
            for s in (
                pick.one(_OPENERS).format(gap=_gap(profile.days_since_last_order)),
                _tenure_sentence(profile.tenure_months),
            )
            if s
        ),
    ]
    fix_and_feedback = " ".join(
        s for s in (_last_fix_sentence(profile), _feedback_sentence(profile)) if s
    )
    if fix_and_feedback:
        paragraphs.append(fix_and_feedback)
    styles_sentence = _styles_sentence(profile.preferred_styles, pick=pick)
    if styles_sentence:
        paragraphs.append(styles_sentence)
    paragraphs.append(pick.one(_INVITATIONS))
    paragraphs.append(f"{pick.one(_SIGN_OFFS)}\n{stylist}")
    return "\n\n".join(paragraphs)


def _compose_picks_first(
    *, profile: ClientProfile, pick: _Picker, name: str, stylist: str
) -> str:
    """Return v2's body: the stylist's picks lead."""
    picks = " ".join(
        s
        for s in (
            _picks_sentence(profile.preferred_styles, pick=pick),
            _kept_sentence(profile),
        )
        if s
    )
    since = (
        f"It has been {_gap(profile.days_since_last_order)} since your last Fix, "
        "and I've been looking forward to styling you again."
    )
    paragraphs = [
        pick.one(_GREETINGS).format(name=name),
        picks or _PICKS_NO_STYLES,
        " ".join(
            s
            for s in (
                since,
                _feedback_sentence(profile),
                _tenure_sentence_short(profile),
            )
            if s
        ),
        pick.one(_PICKS_QUESTIONS) if picks else _PICKS_NO_STYLES_QUESTION,
        f"{pick.one(_SIGN_OFFS)}\n{stylist}",
    ]
    return "\n\n".join(paragraphs)


#: A layout's subjects with the client's name, subjects without, preheaders.
_Headings = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
#: Per prompt version: its headings and its body (the subject and preheader are
#: drawn first, then the body, so a profile keeps its email).
_LAYOUTS: dict[str, tuple[_Headings, Callable[..., str]]] = {
    "v1": ((_SUBJECTS, _SUBJECTS_NAMELESS, _PREHEADERS), _compose_time_first),
    "v2": (
        (_PICKS_SUBJECTS, _PICKS_SUBJECTS_NAMELESS, _PICKS_PREHEADERS),
        _compose_picks_first,
    ),
}


def _subject_and_preheader(
    headings: _Headings, *, pick: _Picker, name: str, stylist: str
) -> tuple[str, str]:
    """Return a subject naming the client (one without if too long), a preheader."""
    named, nameless, preheaders = headings
    subject = pick.one(named).format(name=name)
    if len(subject) > SUBJECT_LENGTH[1]:
        subject = pick.one(nameless)
    return subject, _preheader(pick.one(preheaders), stylist=stylist)


def _preheader(template: str, *, stylist: str) -> str:
    preheader = template.format(stylist=stylist)
    if len(preheader) > PREHEADER_LENGTH[1]:
        return "A quick note from your stylist"
    return preheader


def _styles_listed(styles: tuple[str, ...]) -> str:
    """Return up to three usable styles as words ("a, b and c"); "" if none."""
    usable = [s for s in (_usable_phrase(style) for style in styles[:3]) if s]
    if not usable:
        return ""
    listed = usable[0] if len(usable) == 1 else ", ".join(usable[:-1])
    if len(usable) > 1:
        listed += f" and {usable[-1]}"
    return listed


def _picks_sentence(styles: tuple[str, ...], *, pick: _Picker) -> str:
    listed = _styles_listed(styles)
    if not listed:
        return ""
    return pick.one(
        (
            f"If I were putting your next Fix together today, I'd start with "
            f"{listed} pieces, chosen for how you actually like to dress.",
            f"I've already started picking for your next Fix: more {listed}, the "
            "kind of pieces I think you'd reach for again and again.",
        )
    )


def _kept_sentence(profile: ClientProfile) -> str:
    if profile.items_sent == 0:
        return ""
    kept = _usable_phrase(profile.kept_summary)
    if kept:
        return f"You kept {kept} last time, so I'd build around that."
    if profile.items_kept > 0:
        return "I'd build around what you kept from your last Fix."
    return "Your last Fix taught me what to leave out, which helps just as much."


def _tenure_sentence_short(profile: ClientProfile) -> str:
    if profile.tenure_months < 12:
        return ""
    return (
        f"After {_count(profile.tenure_months // 12, 'year')}, I know your style well."
    )


class _Picker:
    """Choose template variants from a stable hash of the profile.

    `hash()` is salted per process, so SHA-256 is used to keep choices identical
    across workers and runs.
    """

    def __init__(self, profile: ClientProfile) -> None:
        seed = "|".join(
            (
                profile.first_name,
                profile.stylist_name,
                str(profile.tenure_months),
                str(profile.days_since_last_order),
                ",".join(profile.preferred_styles),
            )
        )
        self._digest = hashlib.sha256(seed.encode()).digest()
        self._index = 0

    def one(self, options: tuple[str, ...]) -> str:
        byte = self._digest[self._index % len(self._digest)]
        self._index += 1
        return options[byte % len(options)]


def _gap(days: int | None) -> str:
    if days is None:
        return "a little while"
    if days < 45:
        return "a few weeks"
    if days < 100:
        return "a couple of months"
    if days < 300:
        return "a few months"
    if days < 540:
        return "about a year"
    return "quite a while"


def _tenure_sentence(months: int) -> str:
    if months < 3:
        return "I've really enjoyed getting to know your style."
    if months < 12:
        return f"We've been styling you for {_count(months, 'month')} now."
    years = months // 12
    return f"We've been styling you for {_count(years, 'year')} now, which I love."


def _last_fix_sentence(profile: ClientProfile) -> str:
    if profile.items_sent == 0:
        return ""
    kept = _usable_phrase(profile.kept_summary)
    if kept:
        return f"I loved seeing you keep {kept} from your last Fix."
    if profile.items_kept == profile.items_sent:
        return "You kept everything in your last Fix, which made my day."
    if profile.items_kept > 0:
        return (
            f"You kept {_count(profile.items_kept, 'piece')} from your last Fix, "
            "so I have a good sense of what works for you."
        )
    return (
        "Nothing in your last Fix felt quite right, and honestly that helps me "
        "just as much."
    )


def _feedback_sentence(profile: ClientProfile) -> str:
    rating = profile.last_feedback_rating
    if rating is None:
        return ""
    if rating <= 2:
        thanks = (
            "Thank you for taking the time to tell me what didn't work"
            if profile.last_feedback_comment
            else "I know that Fix missed the mark"
        )
        return f"{thanks}; I've taken it to heart and I'll choose differently."
    if rating == 3:
        return "Your feedback helped me see what to do more of, and what to skip."
    return "I was so glad to hear you enjoyed it."


def _styles_sentence(styles: tuple[str, ...], *, pick: _Picker) -> str:
    listed = _styles_listed(styles)
    if not listed:
        return ""
    return pick.one(
        (
            f"I've been keeping an eye out for {listed} pieces I think you'd love.",
            f"With your love of {listed} in mind, I've already spotted a few "
            "things I'd like to show you.",
        )
    )


def _usable_phrase(text: str | None) -> str:
    """Return free text fit to appear in an email, or "" to leave it out.

    Styles and kept-item summaries come from people; anything that would trip the
    placeholder or offer checks, or looks like contact details, is dropped.
    """
    if not text:
        return ""
    phrase = _collapse(text).rstrip(".!?,;:")
    if (
        not phrase
        or len(phrase) > _PHRASE_MAX_CHARS
        or placeholder_problem(phrase)
        or offer_violations(phrase)
        or re.search(r"@|\d{5,}|https?:|www\.", phrase)
    ):
        return ""
    return phrase


def _count(number: int, noun: str) -> str:
    word = _NUMBER_WORDS[number] if number < len(_NUMBER_WORDS) else str(number)
    return f"{word} {noun}{'' if number == 1 else 's'}"


def _collapse(text: str) -> str:
    return " ".join(text.split())
