"""The minimal client facts a re-engagement draft may be written from.

Everything in a `ClientProfile` can end up in a prompt sent to a third-party model
provider, so it deliberately has no field for an email address, phone number,
postal address or last name. The Django side builds one from its models; nothing
here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """Hold what a stylist would glance at before writing to a lapsed client.

    `items_sent`/`items_kept` describe the client's last Fix; `kept_summary` is a
    short human description of what they kept ("a denim jacket and two tees").
    `stylist_note` is an internal note: it may inform the draft but is never quoted.
    """

    first_name: str
    stylist_name: str
    tenure_months: int
    preferred_styles: tuple[str, ...] = ()
    items_sent: int = 0
    items_kept: int = 0
    kept_summary: str | None = None
    days_since_last_order: int | None = None
    last_feedback_rating: int | None = None
    last_feedback_comment: str | None = None
    stylist_note: str | None = None
    # Why the churn model put them at risk, in words ("kept nothing from the
    # last 2 Fixes"): built from order history only, never contact details.
    churn_reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Fail where the profile is built, not deep inside a prompt or template.
        if not self.first_name.strip():
            raise ValueError("first_name must not be blank")
        if not self.stylist_name.strip():
            raise ValueError("stylist_name must not be blank")
        if self.tenure_months < 0:
            raise ValueError("tenure_months must not be negative")
        if not 0 <= self.items_kept <= self.items_sent:
            raise ValueError("items_kept must be between 0 and items_sent")
        if self.days_since_last_order is not None and self.days_since_last_order < 0:
            raise ValueError("days_since_last_order must not be negative")
        rating = self.last_feedback_rating
        if rating is not None and not 1 <= rating <= 5:
            raise ValueError("last_feedback_rating must be between 1 and 5")
        if not isinstance(self.preferred_styles, tuple):
            # A list would make the frozen dataclass unhashable and mutable.
            raise TypeError("preferred_styles must be a tuple")
        if not isinstance(self.churn_reasons, tuple):
            raise TypeError("churn_reasons must be a tuple")
