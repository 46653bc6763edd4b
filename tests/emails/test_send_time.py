"""The sending window and the send time, in the client's zone (no database)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from customers.models import Client, Weekday
from emails.services.send_time import (
    client_time_zone,
    send_time_choose,
    send_window_contains,
)

UTC = dt.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")


def client(time_zone: str = "America/New_York", quiet_days=()) -> Client:
    return Client(time_zone=time_zone, quiet_days=list(quiet_days))


def at(zone: zoneinfo.ZoneInfo, *parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone)


@pytest.mark.parametrize(
    ("hour", "minute", "inside"),
    [(8, 59, False), (9, 0, True), (19, 59, True), (20, 0, False), (3, 0, False)],
)
def test_window_edges_in_local_time(hour, minute, inside):
    """The window is 09:00 (inclusive) to 20:00 (exclusive) on the client's clock."""
    moment = at(NEW_YORK, 2026, 6, 10, hour, minute)  # a Wednesday
    assert send_window_contains(client=client(), at=moment) is inside


def test_window_follows_the_setting(settings):
    settings.SEND_WINDOW_START_HOUR, settings.SEND_WINDOW_END_HOUR = 10, 18
    assert not send_window_contains(client=client(), at=at(NEW_YORK, 2026, 6, 10, 9))
    assert send_window_contains(client=client(), at=at(NEW_YORK, 2026, 6, 10, 17, 59))
    assert not send_window_contains(client=client(), at=at(NEW_YORK, 2026, 6, 10, 18))


@pytest.mark.parametrize(
    ("hour", "minute", "expected_local"),
    [
        (8, 59, (2026, 6, 10, 9, 0)),  # before the window: its first hour
        (9, 0, (2026, 6, 10, 9, 0)),  # the slot has begun: now
        (9, 59, (2026, 6, 10, 9, 59)),  # still the best-hour slot: now
        (10, 0, (2026, 6, 11, 9, 0)),  # slot over: tomorrow's
    ],
)
def test_send_time_at_the_best_hour_slot_edges(hour, minute, expected_local):
    """The best hour is a one-hour slot: inside it now, after it the next day's."""
    now = at(NEW_YORK, 2026, 6, 10, hour, minute)
    chosen = send_time_choose(client=client(), now=now, best_hour=9)
    assert chosen == at(NEW_YORK, *expected_local)
    assert chosen.tzinfo is UTC


@pytest.mark.parametrize(
    ("minute", "expected_local"),
    [(59, (2026, 6, 10, 19, 59)), (0, (2026, 6, 11, 19, 0))],
)
def test_send_time_at_the_window_end(minute, expected_local):
    """19:59 is the last minute of a 19:00 slot; at 20:00 it waits a day."""
    hour = 19 if minute == 59 else 20
    now = at(NEW_YORK, 2026, 6, 10, hour, minute)
    chosen = send_time_choose(client=client(), now=now, best_hour=19)
    assert chosen == at(NEW_YORK, *expected_local)
    assert send_window_contains(client=client(), at=chosen)


@pytest.mark.parametrize(("best", "slot"), [(3, 9), (23, 19), (14, 14)])
def test_a_best_hour_outside_the_window_is_moved_into_it(best, slot):
    """A night owl's 23:00 becomes 19:00; an early bird's 03:00 becomes 09:00."""
    now = at(NEW_YORK, 2026, 6, 10, 6, 0)
    chosen = send_time_choose(client=client(), now=now, best_hour=best)
    assert chosen == at(NEW_YORK, 2026, 6, 10, slot, 0)


def test_never_sent_at_3am_the_clients_time():
    """Approved at 03:00 local, the email waits for the window."""
    now = at(NEW_YORK, 2026, 6, 10, 3, 0)
    chosen = send_time_choose(client=client(), now=now, best_hour=10)
    assert chosen.astimezone(NEW_YORK).hour == 10
    assert send_window_contains(client=client(), at=chosen)


def test_new_york_march_transition_day():
    """On 2026-03-08 (clocks go forward at 02:00) 10:00 is EDT: 14:00 UTC."""
    before_change = at(UTC, 2026, 3, 8, 6, 30)  # 01:30 EST
    chosen = send_time_choose(client=client(), now=before_change, best_hour=10)
    assert chosen == dt.datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    # Approved the evening before, 24 hours on would be 10:00 EDT; it is 09:00.
    evening = at(NEW_YORK, 2026, 3, 7, 21, 0)
    chosen = send_time_choose(client=client(), now=evening, best_hour=9)
    assert chosen == dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert chosen.astimezone(NEW_YORK).hour == 9


def test_new_york_november_transition_day():
    """On 2026-11-01 (clocks go back at 02:00) 10:00 is EST: 15:00 UTC."""
    during_repeat = at(UTC, 2026, 11, 1, 6, 30)  # 01:30 EST, the second time
    chosen = send_time_choose(client=client(), now=during_repeat, best_hour=10)
    assert chosen == dt.datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    evening = at(NEW_YORK, 2026, 10, 31, 21, 0)
    chosen = send_time_choose(client=client(), now=evening, best_hour=9)
    assert chosen == dt.datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_window_edges_on_new_york_transition_days():
    """The window's edges stay at 09:00 and 20:00 local on both DST days."""
    for day in (dt.date(2026, 3, 8), dt.date(2026, 11, 1)):
        local = dt.datetime.combine(day, dt.time(9), tzinfo=NEW_YORK)
        assert send_window_contains(client=client(), at=local)
        assert not send_window_contains(
            client=client(), at=local - dt.timedelta(minutes=1)
        )
        assert not send_window_contains(client=client(), at=local.replace(hour=20))


def test_london_summer_time():
    """London's 10:00 is 10:00 UTC in March before the change, 09:00 UTC after."""
    london = client("Europe/London")
    before = send_time_choose(
        client=london, now=at(LONDON, 2026, 3, 28, 6), best_hour=10
    )
    after = send_time_choose(
        client=london, now=at(LONDON, 2026, 3, 29, 6), best_hour=10
    )
    assert before == dt.datetime(2026, 3, 28, 10, tzinfo=UTC)
    assert after == dt.datetime(2026, 3, 29, 9, tzinfo=UTC)
    # 20:30 UTC on the day after is 21:30 BST: outside London's window.
    assert not send_window_contains(
        client=london, at=dt.datetime(2026, 3, 30, 19, 30, tzinfo=UTC)
    )
    assert send_window_contains(
        client=london, at=dt.datetime(2026, 3, 30, 18, 59, tzinfo=UTC)
    )


@pytest.mark.parametrize("time_zone", ["", "Mars/Olympus", "../etc/passwd"])
def test_no_or_invalid_time_zone_uses_the_default(settings, time_zone):
    """An empty or unknown zone means SEND_DEFAULT_TIME_ZONE."""
    settings.SEND_DEFAULT_TIME_ZONE = "Europe/London"
    nowhere = client(time_zone)
    assert client_time_zone(client=nowhere) == LONDON
    chosen = send_time_choose(
        client=nowhere, now=at(LONDON, 2026, 6, 10, 3), best_hour=10
    )
    assert chosen == at(LONDON, 2026, 6, 10, 10)
    assert send_window_contains(client=nowhere, at=at(LONDON, 2026, 6, 10, 9))
    # 19:00 in New York is midnight in London.
    assert not send_window_contains(client=nowhere, at=at(NEW_YORK, 2026, 6, 10, 19))


def test_quiet_days_are_skipped_in_the_clients_calendar():
    """A Saturday/Sunday-quiet client approved on Friday night hears on Monday."""
    weekend = client(quiet_days=[Weekday.SATURDAY, Weekday.SUNDAY])
    friday_night = at(NEW_YORK, 2026, 6, 12, 21, 0)
    chosen = send_time_choose(client=weekend, now=friday_night, best_hour=11)
    assert chosen == at(NEW_YORK, 2026, 6, 15, 11, 0)  # Monday
    saturday_noon = at(NEW_YORK, 2026, 6, 13, 12, 0)
    assert not send_window_contains(client=weekend, at=saturday_noon)
    # 01:00 UTC on Monday is still Sunday evening in New York.
    assert not send_window_contains(
        client=weekend, at=dt.datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
    )


def test_a_quiet_today_waits_even_inside_the_slot():
    wednesday = client(quiet_days=[Weekday.WEDNESDAY])
    now = at(NEW_YORK, 2026, 6, 10, 11, 30)
    chosen = send_time_choose(client=wednesday, now=now, best_hour=11)
    assert chosen == at(NEW_YORK, 2026, 6, 11, 11, 0)


def test_seven_quiet_days_are_ignored_and_refused_by_validation():
    """Seven quiet days would mean never; the model refuses them (consent decides)."""
    always_quiet = client(quiet_days=list(Weekday.values))
    now = at(NEW_YORK, 2026, 6, 10, 8, 0)
    chosen = send_time_choose(client=always_quiet, now=now, best_hour=10)
    assert chosen == at(NEW_YORK, 2026, 6, 10, 10, 0)
    with pytest.raises(Exception, match="at least one day open"):
        always_quiet.clean()
    with pytest.raises(Exception, match="ISO weekday"):
        client(quiet_days=[0, 8]).clean()
