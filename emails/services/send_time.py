"""When an approved email may go out: a daytime window in the client's own zone.

Pure functions of a client, an instant and a best hour (no database), so every
rule is testable at any instant, DST transitions included:

- The client's zone is ``Client.time_zone``; an empty or unknown name (a bad
  import, a zone retired from the tz database) means ``SEND_DEFAULT_TIME_ZONE``.
- The window is ``SEND_WINDOW_START_HOUR`` (inclusive) to ``SEND_WINDOW_END_HOUR``
  (exclusive), local wall-clock time, on any day but the client's quiet days
  (``Client.quiet_days``, ISO weekdays in the client's calendar).
- Within it the email aims at the client's best hour (``emails.services.best_hour``),
  moved into the window when it falls outside: the hour-long slot starting at it,
  today if that slot has not ended, else the next day that is not quiet. Like
  Braze's Intelligent Timing, a slot missed today waits for tomorrow's.

Local times are built on the wall clock and only then turned into UTC, so 10:00 is
10:00 on the day the clocks change (14:00 UTC in New York on the March day, 15:00
on the November one), never 24 hours after yesterday's 10:00.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from customers.models import Client, Weekday

# Quiet days cover at most a week: the next open day is at most 7 days away.
_DAYS_AHEAD = 8


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def client_time_zone(*, client: Client) -> zoneinfo.ZoneInfo:
    """Return the client's zone, or ``SEND_DEFAULT_TIME_ZONE`` if it is not valid."""
    return time_zone_or_default(client.time_zone)


def time_zone_or_default(name: str | None) -> zoneinfo.ZoneInfo:
    """Return the zone called ``name``, or ``SEND_DEFAULT_TIME_ZONE`` if none is."""
    zone = _zone(name or "")
    if zone is not None:
        return zone
    default = _zone(settings.SEND_DEFAULT_TIME_ZONE)
    if default is None:
        raise ImproperlyConfigured(
            f"SEND_DEFAULT_TIME_ZONE {settings.SEND_DEFAULT_TIME_ZONE!r} is not an "
            "IANA time zone, e.g. 'America/New_York'."
        )
    return default


def send_window_hours() -> tuple[int, int]:
    """Return the window's (start, end) local hours from the settings."""
    start, end = settings.SEND_WINDOW_START_HOUR, settings.SEND_WINDOW_END_HOUR
    if not 0 <= start < end <= 24:
        raise ImproperlyConfigured(
            "SEND_WINDOW_START_HOUR and SEND_WINDOW_END_HOUR must satisfy "
            f"0 <= start < end <= 24 (got {start} and {end})."
        )
    return start, end


def client_quiet_days(*, client: Client) -> frozenset[int]:
    """Return the client's quiet ISO weekdays; none when all seven are set.

    The form refuses seven quiet days (that is withdrawing consent); a row
    written some other way with all seven would otherwise never be sent, and
    consent, not this field, decides that.
    """
    quiet = frozenset(day for day in (client.quiet_days or []) if day in Weekday.values)
    return frozenset() if len(quiet) == len(Weekday.values) else quiet


def send_window_contains(*, client: Client, at: dt.datetime) -> bool:
    """Return whether ``at`` is inside the client's sending window."""
    start, end = send_window_hours()
    local = at.astimezone(client_time_zone(client=client))
    return start <= local.hour < end and local.isoweekday() not in client_quiet_days(
        client=client
    )


def send_hour_in_window(hour: int) -> int:
    """Return ``hour`` moved to the nearest hour that starts inside the window."""
    start, end = send_window_hours()
    return min(max(hour, start), end - 1)


def _wall_clock(day: dt.date, hour: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    # Aware arithmetic on the same tzinfo is wall-clock arithmetic in Python, so
    # hour 24 is the next midnight and a DST day keeps its local hours.
    local = dt.datetime.combine(day, dt.time.min, tzinfo=zone) + dt.timedelta(
        hours=hour
    )
    # Through UTC and back: a wall time in a spring-forward gap becomes a real one.
    return local.astimezone(dt.UTC)


def send_time_choose(
    *, client: Client, now: dt.datetime, best_hour: int | None = None
) -> dt.datetime:
    """Return when an email approved ``now`` should go to ``client`` (aware, UTC).

    ``best_hour`` is the client's best local hour; when not given it is read
    (``best_hour.client_best_hour``: the client's order history, else the book's).
    Pass it to keep this function pure, as the bulk callers do.
    """
    if best_hour is None:
        from emails.services.best_hour import client_best_hour

        best_hour = client_best_hour(client=client).hour
    zone = client_time_zone(client=client)
    hour = send_hour_in_window(best_hour)
    quiet = client_quiet_days(client=client)
    today = now.astimezone(zone).date()
    for offset in range(_DAYS_AHEAD):
        day = today + dt.timedelta(days=offset)
        if day.isoweekday() in quiet:
            continue
        slot_start = _wall_clock(day, hour, zone)
        if offset == 0:
            if now < slot_start:
                return slot_start
            if now < _wall_clock(day, hour + 1, zone):
                return now.astimezone(dt.UTC)
            continue
        return slot_start
    raise AssertionError("unreachable: at most six days of a week are quiet")
