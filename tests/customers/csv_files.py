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
