"""Reading money amounts typed into files: plain decimals only.

Python's ``Decimal`` reads far more than a retailer means by an amount:
``1_000`` (1000), ``1e3``, ``+5``, ``NaN``, ``Infinity``. A file that holds one
of those was written by mistake, so both importers (``import_orders`` and the
admin CSV import) accept only ``12``, ``12.5``, ``12.50`` (a leading minus is
read, for the caller to refuse as negative). A thousands separator
(``1,000.00``) is refused rather than guessed: in half the world ``1,000`` is
one, not a thousand.
"""

from __future__ import annotations

import re
from decimal import Decimal

_PLAIN = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def amount_parse(raw: str) -> Decimal:
    """Return the amount written in ``raw``, or raise ValueError saying why not.

    The message names the value but not the field ("'lots' is not a number"),
    so each importer can put the line and field in front.
    """
    text = raw.strip()
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    if _THOUSANDS.fullmatch(text):
        plain = text.replace(",", "")
        raise ValueError(
            f"'{raw}' has a thousands separator; write it without: {plain}"
        )
    raise ValueError(f"'{raw}' is not a number (write digits, e.g. 1000.00)")
