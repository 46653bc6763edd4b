"""A client's best hour to receive an email, learned from when they act.

The signal today is when they order: the local hours (in the client's zone) of
their last ``SEND_BEST_HOUR_ORDERS`` orders, read for many clients in one query
(a window function ranks each client's orders). Orders from file imports are
left out: a CSV carries a date only and is stored at noon, which says nothing
about the client's day. The best hour is the modal hour, the earliest of equals.

SES opens are the next signal (``client_open_hours``): the hours a client opens
our emails say more than the hours they order. They are not recorded today; once
the configuration set publishes Open events and ``ses_events`` stores them, that
function returns their local hours and they count beside the orders.

A client with fewer than ``SEND_BEST_HOUR_MIN_ORDERS`` hours of history gets the
book's best hour: the modal local hour of the book's last
``SEND_BOOK_BEST_HOUR_ORDERS`` orders, computed once a day per process (cached).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from customers.models import Client, Order
from emails.services.send_time import send_hour_in_window, time_zone_or_default

# The book's best hour before it has any order with a time of day.
BOOK_BEST_HOUR_DEFAULT = 10
_BOOK_CACHE_KEY = "emails:send_time:book_best_hour:{day}"
_BOOK_CACHE_SECONDS = 26 * 3600


class BestHourSource(StrEnum):
    CLIENT = "client"  # the client's own orders (and, later, opens)
    BOOK = "book"  # too little history: the book's best hour


@dataclass(frozen=True, slots=True)
class BestHour:
    hour: int  # local hour, moved into the sending window
    source: BestHourSource
    samples: int  # how many of the client's own hours it was learned from


def hours_modal(hours: Iterable[int]) -> int | None:
    """Return the most frequent hour (the earliest of equals), None for none."""
    counts = Counter(hours)
    if not counts:
        return None
    top = max(counts.values())
    return min(hour for hour, count in counts.items() if count == top)


def _local_hour(at: dt.datetime, zone_name: str) -> int:
    return at.astimezone(time_zone_or_default(zone_name)).hour


def client_order_hours(*, client_ids: Iterable[int]) -> dict[int, list[int]]:
    """Return each client's local order hours, newest first, at most N per client."""
    ids = list(client_ids)
    if not ids:
        return {}
    rows = (
        Order.objects.filter(client_id__in=ids, import_key__isnull=True)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("client_id")],
                order_by=[F("ordered_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=settings.SEND_BEST_HOUR_ORDERS)
        .order_by("client_id", "rank")
        .values_list("client_id", "ordered_at", "client__time_zone")
    )
    hours: dict[int, list[int]] = {}
    for client_id, ordered_at, zone_name in rows:
        hours.setdefault(client_id, []).append(_local_hour(ordered_at, zone_name))
    return hours


def client_open_hours(*, client_ids: Iterable[int]) -> dict[int, list[int]]:
    """Return each client's local email-open hours: none until opens are recorded.

    The seam for SES Open events (see the module docstring): return the local
    hours of each client's recent opens and ``clients_best_hour`` counts them.
    """
    return {}


def book_best_hour(*, today: dt.date | None = None) -> int:
    """Return the book's best local hour, computed once per day and cached."""
    today = today or timezone.localdate()
    key = _BOOK_CACHE_KEY.format(day=today.isoformat())
    hour = cache.get(key)
    if hour is None:
        rows = (
            Order.objects.filter(import_key__isnull=True)
            .order_by("-ordered_at", "-id")
            .values_list("ordered_at", "client__time_zone")[
                : settings.SEND_BOOK_BEST_HOUR_ORDERS
            ]
        )
        modal = hours_modal(_local_hour(at, zone) for at, zone in rows)
        hour = BOOK_BEST_HOUR_DEFAULT if modal is None else modal
        cache.set(key, hour, _BOOK_CACHE_SECONDS)
    return send_hour_in_window(hour)


def clients_best_hour(*, client_ids: Iterable[int]) -> dict[int, BestHour]:
    """Return every client's best hour: their own history's, else the book's."""
    ids = list(dict.fromkeys(client_ids))
    orders = client_order_hours(client_ids=ids)
    opens = client_open_hours(client_ids=ids)
    book: int | None = None
    result: dict[int, BestHour] = {}
    for client_id in ids:
        hours = orders.get(client_id, []) + opens.get(client_id, [])
        modal = hours_modal(hours)
        if modal is not None and len(hours) >= settings.SEND_BEST_HOUR_MIN_ORDERS:
            result[client_id] = BestHour(
                send_hour_in_window(modal), BestHourSource.CLIENT, len(hours)
            )
            continue
        if book is None:
            book = book_best_hour()
        result[client_id] = BestHour(book, BestHourSource.BOOK, len(hours))
    return result


def client_best_hour(*, client: Client) -> BestHour:
    """Return one client's best hour (``clients_best_hour`` for a single client)."""
    return clients_best_hour(client_ids=[client.pk])[client.pk]
