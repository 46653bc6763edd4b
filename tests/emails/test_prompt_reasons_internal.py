"""Prompt v3: the churn reasons reach the model as internal context only."""

from __future__ import annotations

from emails.drafting.prompts import prompt_load, prompt_render
from tests.emails.factories import client_profile_make
from tests.emails.test_prompts import data_of

REASONS = (
    "5 weeks overdue against a 4-week cadence",
    "kept nothing from the last 2 Fixes",
)


def test_v3_tells_the_model_the_reasons_are_never_to_be_quoted() -> None:
    """v3 names `why_at_risk` as internal: never quoted, its figures never
    repeated, no hint that orders are tracked; the user message's field notes
    say so beside the data."""
    system = " ".join(prompt_load(version="v3").system.split())
    assert "`why_at_risk` is internal context" in system
    assert "never quote it" in system
    assert "never repeat its figures" in system
    assert "never say or hint that their orders are tracked" in system
    prompt = prompt_render(
        profile=client_profile_make(churn_reasons=REASONS), version="v3"
    )
    assert "`why_at_risk` is internal context only" in prompt.user
    assert data_of(prompt.user)["why_at_risk"] == list(REASONS)


def test_v3_is_v1_plus_that_rule() -> None:
    """An experiment v1 against v3 tests that one line: the other rules, the
    output schema and the data block are v1's."""
    v1, v3 = prompt_load(version="v1"), prompt_load(version="v3")
    for phrase in ("discounts", "free shipping", "promo codes", "`stylist_note` is"):
        assert phrase in v1.system
        assert phrase in v3.system
    assert "why_at_risk" not in v1.system
    profile = client_profile_make(churn_reasons=REASONS)
    assert data_of(prompt_render(profile=profile, version="v3").user) == data_of(
        prompt_render(profile=profile, version="v1").user
    )
