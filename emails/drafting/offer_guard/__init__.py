"""Catch drafts that promise offers nobody approved.

Only marketing may make offers (discounts, free items, credits, codes). A model can
be talked into one by text in a stylist note or feedback comment, or invent one to
sound helpful, and a reviewer's "Edit then approve" can add one by hand, so every
draft and every edited draft is checked here, whatever the prompt said. The guard
errs towards flagging: a false positive costs one regeneration, a template fallback
or a reworded edit; a false negative emails a promise the business must honour.

The text is normalised before matching, so lookalikes match as the plain word:
Unicode compatibility forms (NFKD, so fullwidth letters and "½" fold), accents and
zero-width or soft-hyphen characters dropped, Cyrillic/Greek letters that look Latin
mapped to them, curly quotes and dashes made plain, whitespace collapsed, and
letter-spaced words ("F R E E", "f.r.e.e") joined, and number words written as
digits ("ninety-nine" -> 99, "a hundred" -> 100). Phrases are reported as they
appear in the original text, since the reviewer sees that text.

Caught: percentages in figures or words ("ninety per cent", "90 pct"); money
amounts (symbols, codes, "dollars", "bucks", "quid", "a tenner"); "N off", "half
off", "a third off"; buy-one-get-one, "2-for-1", "two for the price of one";
promo codes (a code such as SAVE90 after "enter", "use", "apply", "code", or before
"at checkout"; "promo code", "coupon", "voucher"); "free" wherever it stands
("The next Fix? Free.", "X is free", "free Fix"), "gratis", "freebie",
"complimentary"; nothing to pay ("pay nothing", "costs nothing", "won't cost you a
thing", "on the house", "on us", "no charge", "zero cost", "waived"); credits,
refunds, gift cards, money back; price cuts, sales, markdowns, deals and noun
"offers".

Deliberately allowed, because a warm email needs them: "free" meaning at liberty
or without something unpleasant ("feel free", "you're free to skip", "if you're
free on Thursday", "a free moment", "stress-free", "hands-free", "free-spirited",
"freedom", "free up space", "free of pressure"); fabric content ("100% cotton")
and certainty ("100% sure", "100% you"); a share of something ("90% of your
week", "a percentage of your closet"); number words that count things ("two
pieces you kept", "half your closet", "ten days ago", "one of a kind",
"one-off"); "deal with", "a great deal of", "here's the deal"; the verb "offer
you a fresh Fix"; "save the date" and "save you a spot" (saving time, not
money); "dress code"; "in charge"; "count on us"; "your promotion" (a job);
credit as praise ("a credit to your taste", "to your credit", "credit where it's
due", "give yourself credit") but not credit to an account ("a credit to your
account"); "credit card". "Free People" (the brand) is allowed.
"""

from __future__ import annotations

import re

from emails.drafting.offer_guard.normalise import text_normalise
from emails.drafting.offer_guard.rules import RULES, Rule


def _excused(rule: Rule, text: str, match: re.Match[str]) -> bool:
    """Return whether the match sits in one of the rule's innocent contexts."""
    start, end = match.span("w") if "w" in rule.pattern.groupindex else match.span()
    if rule.unless_before and rule.unless_before.search(
        text, max(0, start - 60), start
    ):
        return True
    return bool(rule.unless_after and rule.unless_after.match(text, end))


_TRIM = " \t\r\n.,;:!?\u00a0\u200b\u200c\u200d\u2060\ufeff\u00ad"


def offer_violations(text: str) -> list[str]:
    """Return the offer-like phrases in `text`, in order of appearance, unique.

    Phrases are cut from `text` itself (not its normalised form), so a reviewer
    sees exactly what to remove. An empty list means no offer the guard can see.
    """
    normal, origin = text_normalise(text)
    lower = normal.lower()
    if len(lower) != len(normal):  # a letter whose lower case is longer
        lower = "".join(c if len(c.lower()) > 1 else c.lower() for c in normal)
    spans: list[tuple[int, int]] = []
    for rule in RULES:
        target = normal if rule.cased else lower
        for match in rule.pattern.finditer(target):
            if match.end() > match.start() and not _excused(rule, target, match):
                spans.append(match.span())
    # Longest match first at each position, then drop matches nested inside an
    # earlier one, so "$20 off" is reported once rather than also as "20 off".
    spans.sort(key=lambda span: (span[0], -span[1]))
    kept: list[tuple[int, int]] = []
    covered_to = -1
    for start, end in spans:
        if end > covered_to:
            kept.append((start, end))
            covered_to = end
    seen: set[str] = set()
    phrases: list[str] = []
    for start, end in kept:
        # The phrase runs to where the next normalised character came from, so
        # "one" written as "1" is reported whole.
        stop = origin[end] if end < len(origin) else len(text)
        phrase = text[origin[start] : stop].strip(_TRIM)
        key = " ".join(phrase.casefold().split())
        if phrase and key not in seen:
            seen.add(key)
            phrases.append(phrase)
    return phrases
