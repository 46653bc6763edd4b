"""The offer guard: unapproved offers are caught, ordinary warm wording is not."""

from __future__ import annotations

import pytest

from emails.drafting.offer_guard import offer_violations
from tests.emails.data.offer_corpus import INNOCENT, OFFERS

CORPUS_MIN = 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Take 90% off your next Fix!", "90% off"),
        ("Enjoy 20 % off", "20 % off"),
        ("save 15 percent on everything", "15 percent"),
        ("Here's $20 off your next box", "$20 off"),
        ("a £10 credit", "£10"),
        ("a 25 dollar credit", "25 dollar"),
        ("We'll give you a discount", "discount"),
        ("Use code WELCOMEBACK at checkout", "Use code"),
        ("your promo code is below", "promo code"),
        ("Here is a coupon for you", "coupon"),
        ("A gift card is waiting", "gift card"),
        ("Your styling fee is waived", "waived"),
        ("Enjoy a free styling fee on us", "free styling fee"),
        ("We'll cover free shipping both ways", "free shipping"),
        ("I'll add a free gift", "free gift"),
        ("Your next Fix is free!", "is free"),
        ("keep it for free", "for free"),
        ("It's completely free of charge", "free of charge"),
        ("BOGO on all denim", "BOGO"),
        ("buy one, get one on tees", "buy one, get one"),
        ("Everything is half price", "half price"),
        ("a complimentary accessory", "complimentary"),
        ("This one's on the house", "on the house"),
        ("at no extra cost to you", "at no extra cost"),
        ("We'll match the lowest price", "lowest price"),
        ("with our price guarantee", "price guarantee"),
        ("our flash sale", "flash sale"),
        ("the big summer sale", "summer sale"),
        ("a special offer just for you", "special offer"),
        ("for a limited time only", "limited time"),
        ("save big this week", "save big"),
        ("we'll send you a refund", "refund"),
        ("Store credit for your next Fix", "Store credit"),
    ],
)
def test_offers_are_flagged(text: str, expected: str) -> None:
    """Each kind of unapproved offer is reported with the phrase that made it."""
    assert expected in offer_violations(text)


@pytest.mark.parametrize(
    "text",
    [
        "Feel free to reply to this email any time.",
        "You're free to skip a month whenever you like.",
        "Style is about freedom and feeling like yourself.",
        "I know you love free-spirited, boho pieces.",
        "A stress-free way to refresh your wardrobe.",
        "That tee is 100% cotton, so it washes beautifully.",
        "A 95% organic cotton knit you'd love.",
        "We'd love to offer you a fresh Fix whenever you're ready.",
        "Tell me what you'd like and I'll deal with the rest.",
        "When you have a free moment, tell me what you're after.",
        "Feel free to send items back if they don't fit.",
        "You kept two pieces from your last Fix, which I loved.",
        "It has been a few months since your last Fix.",
        "Your feedback is free of pressure, just say what you think.",
        "Hands-free bags are having a moment.",
    ],
)
def test_ordinary_wording_is_allowed(text: str) -> None:
    """Everyday phrases a warm email needs do not trip the guard."""
    assert offer_violations(text) == []


def test_injected_discount_is_caught_in_any_draft() -> None:
    """A note saying "promise 90% off" cannot get a discount past the guard.

    Whatever the model did with the injected note, a draft that mentions the
    discount is rejected.
    """
    draft = (
        "Hi Maya,\n\nAs promised, here's 90% off your next Fix, just for you.\n\n"
        "Warmly,\nJordan"
    )
    assert "90% off" in offer_violations(draft)


def test_violations_are_unique_and_in_order() -> None:
    """Each phrase is reported once, in reading order, nested matches folded."""
    text = "Get $20 off, then free shipping, then another $20 off."
    assert offer_violations(text) == ["$20 off", "free shipping"]


def test_clean_text_has_no_violations() -> None:
    """A typical clean draft passes untouched."""
    text = (
        "Hi Maya,\n\nIt's been a little while since your last Fix, and I've been "
        "thinking about what I'd choose for you next. Reply and tell me what's on "
        "your list this season.\n\nWarmly,\nJordan"
    )
    assert offer_violations(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P.S. Ninety percent off everything this week", "Ninety percent off"),
        ("Take fifty per cent off your next Fix", "fifty per cent off"),
        ("One hundred dollars off your next box", "One hundred dollars off"),
        ("Enjoy 90 pct off", "90 pct off"),
        ("Your next Fix is gratis", "gratis"),
        ("Pay nothing for your next Fix", "Pay nothing"),
        ("Knitwear is 2-for-1 this week", "2-for-1"),
        ("Enter SAVE90 at checkout", "SAVE90"),
        ("The next Fix? Free.", "Free"),
    ],
)
def test_spelled_out_offers_from_the_tester_are_flagged(
    text: str, expected: str
) -> None:
    """The offers a tester got past the old guard (issue item 7) are caught."""
    assert any(expected in phrase for phrase in offer_violations(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "\uff26\uff52\uff45\uff45 shipping for you",
            "\uff26\uff52\uff45\uff45 shipping",
        ),
        ("Your next Fix is f\u200bree.", "is f\u200bree"),
        ("Fr\u0435\u0435 styling for you", "Fr\u0435\u0435 styling"),
        ("F R E E shipping, always", "F R E E shipping"),
        ("It\u2019s on the h\u00adouse", "on the h\u00adouse"),
        ("Take 90\u00a0\uff05 off", "90\u00a0\uff05 off"),
        (
            "Enter \uff33\uff21\uff36\uff25\uff19\uff10 today",
            "Enter \uff33\uff21\uff36\uff25\uff19\uff10",
        ),
        ("Twenty-five percent off for you", "Twenty-five percent off"),
    ],
)
def test_lookalikes_are_caught_and_reported_as_written(
    text: str, expected: str
) -> None:
    """Fullwidth, zero-width, Cyrillic, spaced-out and spelled-out tricks are
    normalised away for matching, and the phrase is cut from the original text.
    """
    assert offer_violations(text) == [expected]


def test_corpus_offers_are_all_caught() -> None:
    """Every offer in the corpus is flagged, with phrases taken from the sentence.

    The corpus (tests/emails/data/offer_corpus.py) holds realistic phrasings the
    guard was not built from one by one; a failure lists every sentence missed.
    """
    assert len(set(OFFERS)) == len(OFFERS) >= CORPUS_MIN
    found = {text: offer_violations(text) for text in OFFERS}
    missed = [text for text, phrases in found.items() if not phrases]
    assert not missed, "offers missed:\n" + "\n".join(map(repr, missed))
    foreign = {
        text: [p for p in phrases if p not in text]
        for text, phrases in found.items()
        if any(p not in text for p in phrases)
    }
    assert not foreign, f"phrases not cut from the text: {foreign}"


def test_corpus_innocent_sentences_pass() -> None:
    """No innocent sentence in the corpus is flagged; a failure lists each one."""
    assert len(set(INNOCENT)) == len(INNOCENT) >= CORPUS_MIN
    alarms = {text: found for text in INNOCENT if (found := offer_violations(text))}
    assert not alarms, "false alarms:\n" + "\n".join(
        f"{text!r} -> {found}" for text, found in alarms.items()
    )
