"""Import a transactions CSV (``customer_id,date,amount``) as clients and orders.

The file is parsed and validated whole before anything is written, so a bad file
leaves the database untouched unless the caller asks to skip the bad rows. Writes
happen in one transaction with batched bulk inserts.

Re-importing the same file adds nothing: every order carries an ``import_key`` of
``customer_id|date|amount|n``, where ``n`` counts earlier identical triples in the
file, and inserts ignore keys that already exist. Identical rows (the same customer,
day and amount twice, which CDNOW has) stay separate orders, because they are
separate transactions in the file; collapsing same-day purchases is a modelling
choice that belongs to scoring, not to the import.

What a row must look like, and why:

- As many cells as the header (trailing empty cells aside): an unquoted
  ``1,000.00`` splits into ``1`` and ``000.00`` and would import as 1.00.
- An amount is a plain decimal (``12``, ``12.5``, ``12.50``, see
  ``customers.amounts``); ``1,000.00`` is refused even when quoted, since a
  comma is a decimal point in half the world.
- A date within the business's dates (``customers.date_bounds``; these Fixes
  are kept, not scheduled).
- Customer ids are compared exactly, and two ids that differ only in case
  (``ab12`` and ``AB12``) are refused as row errors: in a retailer's files that
  is the same customer typed twice far more often than two customers, and
  guessing either way would split or merge someone's history silently. The
  first spelling in the file (or the one already in the database) is kept.
- The file is text in ``encoding`` (default UTF-8, with or without a BOM); an
  undecodable byte is reported with its line. The encoding must write ASCII
  as ASCII (utf-8, latin-1, cp1252 ...). Reading is ``customers.
  transactions_csv``'s, shared with the scoring commands.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from customers.amounts import amount_parse
from customers.date_bounds import date_bounds_error
from customers.models import Client, Order, OrderStatus
from customers.services.order_facts import clients_order_facts_refresh
from customers.transactions_csv import TransactionsCsvError, transactions_csv_read

DEFAULT_ENCODING = "utf-8-sig"
MAX_REPORTED_ERRORS = 20
PLACEHOLDER_FIRST_NAME = "Customer"
PLACEHOLDER_EMAIL_DOMAIN = "import.invalid"
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("99999999.99")  # Order.amount: max_digits=10, decimal_places=2
_MAX_CUSTOMER_ID = Client._meta.get_field("external_id").max_length
_EMAIL_SAFE = re.compile(r"[^a-z0-9._-]")

ImportProgress = Callable[[int, int], None]
"""Called with (orders processed, orders to process) after each batch."""


@dataclass(frozen=True)
class RowError:
    """One problem with one field of one line of the file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class OrderImportError(ValueError):
    """Raised when a file cannot be imported; nothing has been written."""

    def __init__(self, message: str, errors: list[RowError] | None = None) -> None:
        self.errors = errors or []
        if self.errors:
            message = f"{message}\n{errors_format(errors=self.errors)}"
        super().__init__(message)


@dataclass
class ImportSummary:
    """What an import read, created, found already present and skipped."""

    rows_read: int = 0
    clients_created: int = 0
    orders_created: int = 0
    orders_existing: int = 0
    rows_skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    customer_id: str
    date: dt.date
    amount: Decimal


def errors_format(*, errors: list[RowError], limit: int = MAX_REPORTED_ERRORS) -> str:
    """Return the first ``limit`` errors, one per line, and how many more there are."""
    shown = "\n".join(f"  {error}" for error in errors[:limit])
    more = len(errors) - limit
    return f"{shown}\n  ... and {more} more" if more > 0 else shown


def orders_import_csv(
    *,
    path: str | Path,
    skip_invalid: bool = False,
    batch_size: int = 5000,
    progress: ImportProgress | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> ImportSummary:
    """Create the clients and orders of a transactions CSV; return what happened.

    Raise ``OrderImportError`` (and write nothing) when a required column is
    missing, or when any row is invalid and ``skip_invalid`` is false. With
    ``skip_invalid`` the valid rows are imported and the errors returned in the
    summary.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    encoding_check(encoding=encoding)
    rows, errors, rows_read = _rows_parse(Path(path), encoding)
    id_errors = _customer_id_errors(rows=rows, batch_size=batch_size)
    if id_errors:
        bad = {error.line for error in id_errors}
        rows = [row for row in rows if row.line not in bad]
        errors = sorted(errors + id_errors, key=lambda error: error.line)
    summary = ImportSummary(rows_read=rows_read, errors=errors)
    if errors:
        if not skip_invalid:
            bad_lines = len({error.line for error in errors})
            raise OrderImportError(
                f"{path}: {bad_lines} invalid row(s) of {rows_read}; nothing was "
                "imported (use --skip-invalid to import the valid rows).",
                errors,
            )
        summary.rows_skipped = len({error.line for error in errors})

    with transaction.atomic():
        client_ids, summary.clients_created = _clients_ensure(
            rows=rows, batch_size=batch_size
        )
        summary.orders_created, summary.orders_existing = _orders_insert(
            rows=rows,
            client_ids=client_ids,
            batch_size=batch_size,
            progress=progress,
        )
        clients_order_facts_refresh(
            client_pks=client_ids.values(), batch_size=batch_size
        )
    return summary


def encoding_check(*, encoding: str) -> None:
    """Raise OrderImportError unless ``encoding`` is known and writes ASCII as ASCII.

    Lines are found in the bytes, before decoding, so that a bad byte can be
    reported with its line; that needs an ASCII-compatible encoding.
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise OrderImportError(f"unknown encoding '{encoding}'.") from None
    if b"id,1\n".decode(encoding, errors="replace") != "id,1\n":
        raise OrderImportError(
            f"encoding '{encoding}' is not supported (it does not read plain "
            "ASCII as ASCII); re-save the file as UTF-8."
        )


def _rows_parse(path: Path, encoding: str) -> tuple[list[_Row], list[RowError], int]:
    """Read and validate every row; return the good rows, the errors and the count.

    The file is read by ``customers.transactions_csv`` (as the scoring commands
    read it); the values are then checked one row at a time, since the rules
    (Decimal amounts, the business's dates) are per value and the rows are
    written one by one anyway.
    """
    try:
        table = transactions_csv_read(
            path=path,
            encoding=encoding,
            encoding_hint=" or pass --encoding latin-1"
            if codecs.lookup(encoding).name.startswith("utf-8")
            else "",
        )
    except TransactionsCsvError as exc:
        raise OrderImportError(str(exc)) from None
    today = timezone.localdate()
    rows: list[_Row] = []
    errors: list[RowError] = [
        RowError(
            problem.line,
            "cells",
            f"has {problem.cells} cells, the header has {problem.width}; an amount "
            "with a thousands separator must be quoted or written 1000.00",
        )
        for problem in table.cell_problems
    ]
    for line, customer_id, raw_date, raw_amount in zip(
        table.lines.tolist(),
        table.customer_id.to_pylist(),
        table.date.to_pylist(),
        table.amount.to_pylist(),
        strict=True,
    ):
        row, row_errors = _row_parse(line, customer_id, raw_date, raw_amount, today)
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(row)
    errors.sort(key=lambda error: error.line)
    return rows, errors, table.rows


def _row_parse(
    line: int, customer_id: str, raw_date: str, raw_amount: str, today: dt.date
) -> tuple[_Row | None, list[RowError]]:
    errors = []

    if not customer_id:
        errors.append(RowError(line, "customer_id", "customer_id is empty"))
    elif len(customer_id) > _MAX_CUSTOMER_ID:
        errors.append(
            RowError(
                line,
                "customer_id",
                f"customer_id is longer than {_MAX_CUSTOMER_ID} characters",
            )
        )

    date = None
    if not raw_date:
        errors.append(RowError(line, "date", "date is empty"))
    else:
        try:
            date = dt.date.fromisoformat(raw_date)
        except ValueError:
            errors.append(
                RowError(line, "date", f"date '{raw_date}' is not a YYYY-MM-DD date")
            )
        else:
            message = date_bounds_error(date, what="date", today=today)
            if message:
                errors.append(RowError(line, "date", message.rstrip(".")))
                date = None

    amount = None
    if not raw_amount:
        errors.append(RowError(line, "amount", "amount is empty"))
    else:
        try:
            amount = amount_parse(raw_amount)
        except ValueError as exc:
            errors.append(RowError(line, "amount", f"amount {exc}"))
        else:
            if amount < 0:
                errors.append(
                    RowError(line, "amount", f"amount '{raw_amount}' is negative")
                )
            elif amount > _MAX_AMOUNT:
                errors.append(
                    RowError(
                        line,
                        "amount",
                        f"amount '{raw_amount}' is larger than {_MAX_AMOUNT}",
                    )
                )
            else:
                amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)

    if errors:
        return None, errors
    return _Row(line, customer_id, date, amount), []


def _customer_id_errors(*, rows: list[_Row], batch_size: int) -> list[RowError]:
    """Return an error for each row whose customer id differs only in case from another.

    Of the spellings of one id, those of existing clients are kept (two existing
    clients that differ in case were told apart before), else the first in the
    file. Existing spellings are found through the ``Lower(external_id)`` index,
    one query per batch of new ids.
    """
    first_line: dict[str, int] = {}
    for row in rows:
        first_line.setdefault(row.customer_id, row.line)
    known = set(_client_pks_by_external_id(list(first_line), batch_size))
    folded_new = list({i.lower() for i in first_line if i not in known})
    existing: dict[str, str] = {}  # lower-case id -> an existing client's spelling
    for chunk in _chunks(folded_new, batch_size):
        existing.update(
            Client.objects.annotate(external_id_ci=Lower("external_id"))
            .filter(external_id_ci__in=chunk)
            .values_list("external_id_ci", "external_id")
        )
    kept: dict[str, str] = {}  # lower-case id -> the spelling kept from the file
    for customer_id in sorted(
        first_line, key=lambda i: (i not in known, first_line[i])
    ):
        kept.setdefault(customer_id.lower(), customer_id)

    errors: list[RowError] = []
    for row in rows:
        customer_id = row.customer_id
        if customer_id in known:
            continue
        folded = customer_id.lower()
        if folded in existing:
            problem = f"differs only in case from existing client '{existing[folded]}'"
        elif kept[folded] != customer_id:
            spelling = kept[folded]
            problem = (
                f"differs only in case from '{spelling}' on line {first_line[spelling]}"
            )
        else:
            continue
        errors.append(
            RowError(
                row.line,
                "customer_id",
                f"customer_id '{customer_id}' {problem}; fix the spelling (ids that "
                "differ only in case are taken as a typing mistake)",
            )
        )
    return errors


def _placeholder_email(customer_id: str) -> str:
    local = _EMAIL_SAFE.sub("-", customer_id.lower())
    if local != customer_id.lower():
        # Keep distinct ids distinct after the clean-up ("a b" vs "a-b").
        local += "-" + hashlib.sha256(customer_id.encode()).hexdigest()[:8]
    return f"customer-{local}@{PLACEHOLDER_EMAIL_DOMAIN}"


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _client_pks_by_external_id(external_ids: list[str], batch_size: int) -> dict:
    found = {}
    for chunk in _chunks(external_ids, batch_size):
        found.update(
            Client.objects.filter(external_id__in=chunk).values_list(
                "external_id", "pk"
            )
        )
    return found


def _clients_ensure(*, rows: list[_Row], batch_size: int) -> tuple[dict[str, int], int]:
    """Create placeholder clients for unknown customer ids; return pks and count."""
    first_dates: dict[str, dt.date] = {}
    for row in rows:
        seen = first_dates.get(row.customer_id)
        if seen is None or row.date < seen:
            first_dates[row.customer_id] = row.date
    external_ids = list(first_dates)
    pks = _client_pks_by_external_id(external_ids, batch_size)
    missing = [external_id for external_id in external_ids if external_id not in pks]
    Client.objects.bulk_create(
        (
            Client(
                external_id=external_id,
                first_name=PLACEHOLDER_FIRST_NAME,
                last_name=external_id[:80],
                email=_placeholder_email(external_id),
                marketing_consent=False,
                signup_date=first_dates[external_id],
            )
            for external_id in missing
        ),
        batch_size=batch_size,
        ignore_conflicts=True,
    )
    pks.update(_client_pks_by_external_id(missing, batch_size))
    unresolved = [external_id for external_id in missing if external_id not in pks]
    if unresolved:
        # The placeholder email belongs to another client already.
        raise OrderImportError(
            f"cannot create clients for customer ids {', '.join(unresolved[:20])}: "
            "their placeholder email is taken by another client."
        )
    return pks, len(missing)


def _orders_insert(
    *,
    rows: list[_Row],
    client_ids: dict[str, int],
    batch_size: int,
    progress: ImportProgress | None,
) -> tuple[int, int]:
    """Insert the orders whose import key is new; return (created, already there)."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    noon_by_date: dict[dt.date, dt.datetime] = {}
    occurrences: dict[tuple[str, dt.date, Decimal], int] = {}
    keyed: list[tuple[str, _Row]] = []
    for row in rows:
        triple = (row.customer_id, row.date, row.amount)
        n = occurrences.get(triple, 0)
        occurrences[triple] = n + 1
        keyed.append(
            (f"{row.customer_id}|{row.date.isoformat()}|{row.amount}|{n}", row)
        )

    created = existing = done = 0
    for batch in _chunks(keyed, batch_size):
        present = set(
            Order.objects.filter(import_key__in=[key for key, _ in batch]).values_list(
                "import_key", flat=True
            )
        )
        new_orders = []
        for key, row in batch:
            if key in present:
                continue
            ordered_at = noon_by_date.get(row.date)
            if ordered_at is None:
                ordered_at = dt.datetime.combine(row.date, dt.time(12), tzinfo=tz)
                noon_by_date[row.date] = ordered_at
            new_orders.append(
                Order(
                    client_id=client_ids[row.customer_id],
                    ordered_at=ordered_at,
                    status=OrderStatus.KEPT,
                    amount=row.amount,
                    import_key=key,
                )
            )
        # ignore_conflicts covers a concurrent import of the same file.
        Order.objects.bulk_create(new_orders, ignore_conflicts=True)
        created += len(new_orders)
        existing += len(present)
        done += len(batch)
        if progress is not None:
            progress(done, len(keyed))
    return created, existing
