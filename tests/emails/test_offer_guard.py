"""The offer guard: unapproved offers are caught, ordinary warm wording is not."""

from __future__ import annotations

import pytest

from emails.drafting.offer_guard import offer_violations


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
