"""CSV files for import tests and ``make bench-import``, generated."""

from __future__ import annotations

import io

STYLES = ("casual", "classic", "edgy", "bohemian", "minimalist")
HEADER = (
    "email,first_name,last_name,city,time_zone,signup_date,stylist,"
    "preferred_styles,budget_band,marketing_consent\n"
)


def clients_csv(rows: int, *, bad_line: int | None = None) -> bytes:
    """Return a client CSV of ``rows`` rows (line 1 the header); one bad if asked."""
    out = io.StringIO()
    out.write(HEADER)
    for i in range(rows):
        line = i + 2
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        zone = "Mars/Olympus_Mons" if line == bad_line else "America/Chicago"
        out.write(
            f"client{i}@example.com,First{i},Last{i},Chicago,{zone},{day},bench-a,"
            f"{STYLES[i % 5]},moderate,{i % 2}\n"
        )
    return out.getvalue().encode()


ORDER_HEADER = "client_email,ordered_at,status,items_sent,items_kept,amount,rating\n"


def orders_csv(rows: int, *, clients: int) -> bytes:
    """Return an order CSV of ``rows`` Fixes spread over ``clients`` clients.

    The clients are ``clients_csv``'s (``client<i>@example.com``); each has
    about ``rows / clients`` Fixes, a week apart, the way a retailer's history
    export reads.
    """
    out = io.StringIO()
    out.write(ORDER_HEADER)
    for i in range(rows):
        client = i % clients
        fix = i // clients
        day = f"2023-{1 + fix % 12:02d}-{1 + (client + fix * 7) % 28:02d}"
        sent = 5
        kept = (client + fix) % 6
        rating = "" if i % 4 == 0 else str(1 + i % 5)
        out.write(
            f"client{client}@example.com,{day} {10 + i % 8}:00:00,kept,{sent},"
            f"{kept},{kept * 45}.00,{rating}\n"
        )
    return out.getvalue().encode()
