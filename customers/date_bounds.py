"""The dates the business can have: none before it opened, none far in the future.

One order dated 0001-01-01 or 9999-12-31 used to reach the model fit (BG/NBD's
calibration started at year 1 and its ``b`` ran to the bound) and made the
admin's date drill-down list 9,999 years. Every way in (the model's
``full_clean``, admin forms, CSV imports, ``import_orders``, the API) asks this
module, so the rule is written once.

- Nothing is dated before ``BUSINESS_STARTED_ON``.
- Something that already happened (a signup, a shipped/kept/returned Fix, a ship
  date) is at most ``BUSINESS_DATE_MAX_FUTURE_DAYS`` ahead of today (clock skew,
  time zones, a Fix recorded the evening before it goes out).
- A *scheduled* Fix may be booked up to ``ORDER_SCHEDULE_MAX_DAYS`` ahead.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


def business_started_on() -> dt.date:
    """Return the first day anything can be dated (setting ``BUSINESS_STARTED_ON``)."""
    return settings.BUSINESS_STARTED_ON


def latest_allowed_date(
    *, scheduled: bool = False, today: dt.date | None = None
) -> dt.date:
    """Return the last day a record may be dated, counted from ``today``."""
    today = today or timezone.localdate()
    days = (
        settings.ORDER_SCHEDULE_MAX_DAYS
        if scheduled
        else settings.BUSINESS_DATE_MAX_FUTURE_DAYS
    )
    return today + dt.timedelta(days=days)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            try:
                return timezone.localdate(value)
            except OverflowError:  # 0001-01-01 or 9999-12-31 shifted out of range
                return value.date()
        return value.date()
    return value


def date_bounds_error(
    value: dt.date | dt.datetime,
    *,
    what: str = "The date",
    scheduled: bool = False,
    today: dt.date | None = None,
) -> str | None:
    """Return why ``value`` is outside the business's dates, or None if it is fine.

    ``what`` starts the message ("Order date", "Signup date"), so an import can
    prefix the line and field.
    """
    day = _as_date(value)
    start = business_started_on()
    if day < start:
        return (
            f"{what} {day.isoformat()} is before the business started "
            f"({start.isoformat()}, setting BUSINESS_STARTED_ON)."
        )
    latest = latest_allowed_date(scheduled=scheduled, today=today)
    if day > latest:
        ahead = (latest - (today or timezone.localdate())).days
        kind = "a scheduled Fix" if scheduled else "something that already happened"
        return (
            f"{what} {day.isoformat()} is too far in the future: {kind} may be at "
            f"most {ahead} day(s) ahead ({latest.isoformat()})."
        )
    return None


def validate_business_date(value: dt.date | dt.datetime) -> None:
    """Field validator: nothing before the business, nothing more than days ahead."""
    message = date_bounds_error(value)
    if message:
        raise ValidationError(message, code="date_out_of_bounds")
