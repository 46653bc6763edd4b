"""Catch drafts that promise offers nobody approved.

Only marketing may make offers (discounts, free items, credits, codes). A model can
be talked into one by text in a stylist note or feedback comment, or invent one to
sound helpful, so every draft is checked here after generation, whatever the
prompt said. The guard errs towards flagging: a false positive costs one
regeneration or a template fallback; a false negative emails a promise the business
must honour.

Deliberately allowed: "feel free to reply", "freedom", "free-spirited",
"stress-free", "you're free to skip", "100% cotton", "deal with", "offer you a
fresh Fix" (the verb) -- ordinary words a warm email needs.
"""

from __future__ import annotations

import re

_FABRIC = (
    r"(?:organic\s+)?(?:cotton|linen|wool|merino|silk|cashmere|polyester|nylon|"
    r"viscose|rayon|modal|spandex|elastane|lyocell|tencel|hemp|leather|denim|"
    r"recycled|organic|bamboo)"
)
_OFFER_NOUN = (
    r"(?:shipping|delivery|returns?|styling(?:\s+fee)?|fee|fix(?:es)?|box(?:es)?|"
    r"items?|pieces?|gifts?|trials?|months?|weeks?|upgrades?|credits?|"
    r"accessor(?:y|ies)|consultations?|session|exchanges?|alterations?|"
    r"tailoring|sample|samples|stuff|add-ons?)"
)

_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Percentages, except fabric content such as "100% cotton".
        rf"\b\d+(?:[.,]\d+)?\s*(?:%|per\s?cent\b)(?!\s*{_FABRIC}\b)(?:\s+off\b)?",
        r"\bhalf[\s-](?:off|price)\b",
        # Money amounts and "N off".
        r"[$£€]\s?\d[\d,]*(?:\.\d+)?(?:\s+off\b)?",
        r"\b\d[\d,]*(?:\.\d+)?\s*(?:dollars?|bucks|usd|gbp|eur|euros?|pounds)\b",
        r"\b\d+\s+off\b",
        r"\boff\s+(?:your|the|any|every)\s+(?:next|first|whole|entire)\b",
        r"\bdiscount(?:s|ed|ing)?\b",
        r"\b(?:coupons?|vouchers?|rebates?|cash\s?back|promo(?:tion(?:al)?)?s?)\b",
        r"\b(?:promo|discount|coupon|referral|offer|voucher)\s+codes?\b",
        r"\buse\s+(?:the\s+)?code\b",
        r"\bgift\s+cards?\b",
        r"\b(?:store|account|styling|fix|shopping|bonus)\s+credits?\b",
        r"\bbogo\b",
        r"\bbuy\s+(?:one|1|two|2)\s*,?\s*get\s+(?:one|1|two|2|a|another)\b",
        r"\b(?:two|2)\s+for\s+(?:one|1)\b",
        # "free" next to something that costs money; "for free"; "is free".
        rf"\bfree\s+(?!to\b)(?:\w+\s+){{0,2}}?{_OFFER_NOUN}\b",
        r"\bfor\s+free\b(?!-)",
        r"\bfree\s+of\s+charge\b",
        r"\b(?:is|are|be|it's|its|they're|will\s+be)\s+(?:totally\s+|completely\s+"
        r"|entirely\s+|absolutely\s+)?free\b(?!\s*(?:to\b|of\s+(?:stress|hassle|"
        r"fuss|worry|pressure|obligation)|-))",
        r"\bcomplimentary\b",
        r"\bon\s+(?:us|the\s+house)\b",
        r"\bno\s+(?:extra\s+)?(?:charge|cost)\b",
        r"\bat\s+no\s+(?:extra\s+|additional\s+)?(?:charge|cost)\b",
        r"\bwaiv(?:e|ed|es|ing|er)\b",
        r"\bno\s+styling\s+fee\b",
        # Prices and price promises.
        r"\b(?:lowest|best|reduced|special|sale|member|exclusive|introductory)"
        r"\s+pric(?:e|es|ing)\b",
        r"\bprice\s+(?:match|guarantee|lock|drop|cut|freeze)s?\b",
        r"\b(?:on|flash|clearance|seasonal|summer|winter|spring|holiday|big|special|"
        r"private|secret)\s+sale\b",
        r"\bclearance\b|\bmarkdowns?\b|\bmarked\s+down\b",
        r"\b(?:special|exclusive|limited[\s-]time)\s+(?:offer|deal)s?\b",
        r"\blimited[\s-]time\b",
        r"\bsave\s+(?:up\s+to\s+)?(?:[$£€]?\d[\d,.]*%?|big\b|more\b)",
        r"\bsavings?\b",
        r"\brefunds?\b",
        r"\bcheaper\b",
    )
)


def offer_violations(text: str) -> list[str]:
    """Return the offer-like phrases in `text`, in order of appearance, unique.

    An empty list means the text makes no offer the guard can see.
    """
    spans: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        spans.extend(m.span() for m in pattern.finditer(text))
    # Longest match first at each position, then drop matches nested inside an
    # earlier one, so "$20 off" is reported once rather than also as "20 off".
    spans.sort(key=lambda span: (span[0], -span[1]))
    seen: set[str] = set()
    phrases: list[str] = []
    covered_to = -1
    for start, end in spans:
        if end <= covered_to:
            continue
        covered_to = max(covered_to, end)
        phrase = text[start:end].strip()
        key = " ".join(phrase.lower().split())
        if key not in seen:
            seen.add(key)
            phrases.append(phrase)
    return phrases
