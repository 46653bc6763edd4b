"""Read transaction logs and reduce them to the RFM summary the models fit on.

Time is measured at day granularity: a purchase on day ``d`` happens at the
point ``d``. The calibration period holds the days up to and including
``calibration_end``; ``T`` runs from the first purchase to ``calibration_end``
and the holdout window is the days ``calibration_end + 1 .. calibration_end +
horizon``, i.e. the interval ``(T, T + horizon]``. This is the convention of
the CDNOW literature (a customer whose first purchase was on 1997-01-01 has
``T = 272 / 7 = 38.86`` weeks at 1997-09-30) and it reproduces the published
BG/NBD estimates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from customers.amounts import amount_parse
from customers.transactions_csv import TransactionsCsvError, transactions_csv_read
from scoring.distinct import sorted_inverse

TimeUnit = Literal["days", "weeks"]

DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "weeks": 7.0}
REQUIRED_COLUMNS = ("customer_id", "date", "amount")
_MAX_REPORTED_ERRORS = 20


class TransactionsFileError(ValueError):
    """Raised when a transactions file cannot be read; lists every bad row."""

    def __init__(self, path: str | Path, errors: list[str]) -> None:
        self.path = str(path)
        self.errors = errors
        shown = errors[:_MAX_REPORTED_ERRORS]
        more = len(errors) - len(shown)
        lines = "\n".join(f"  {error}" for error in shown)
        suffix = f"\n  ... and {more} more" if more else ""
        super().__init__(f"{self.path}: {len(errors)} problem(s)\n{lines}{suffix}")


@dataclass(frozen=True)
class Transactions:
    """One row per purchase line: who, which day, how much.

    Customers are codes into ``customer_index``, the sorted distinct ids, so
    summaries group integers instead of sorting millions of strings.
    """

    customer_index: np.ndarray  # str, sorted, distinct
    customer_codes: np.ndarray  # int64, one per row, into customer_index
    dates: np.ndarray  # datetime64[D]
    amounts: np.ndarray  # float64

    @property
    def customer_ids(self) -> np.ndarray:
        """Return each row's customer id (str)."""
        return self.customer_index[self.customer_codes]


@dataclass(frozen=True)
class RfmSummary:
    """Per-customer sufficient statistics for BG/NBD and Gamma-Gamma.

    ``frequency`` counts repeat purchase days in the calibration period,
    ``recency`` and ``T`` are in ``time_unit`` from the first purchase, and
    ``monetary`` is the mean amount of the repeat purchases (0 without any).
    ``holdout_orders`` counts purchase days in the holdout window when one was
    requested.
    """

    customer_ids: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    time_unit: str
    calibration_end: dt.date
    holdout_orders: np.ndarray | None = None
    holdout_horizon: float | None = None


def transactions_read_csv(*, path: str | Path) -> Transactions:
    """Read a ``customer_id,date,amount`` CSV (header required, extra columns ignored).

    The file is read by ``customers.transactions_csv`` (pyarrow), as
    ``import_orders`` reads it, and checked column by column in bulk; only a
    file with bad rows is walked row by row, to name each line and field. An
    amount is a plain decimal (``12``, ``12.50``), as in the import.
    """
    try:
        table = transactions_csv_read(path=path)
    except TransactionsCsvError as exc:
        raise TransactionsFileError(path, [_without_path(str(exc), path)]) from exc
    lines = table.lines
    errors: list[tuple[int, str]] = [
        (
            p.line,
            f"cells: has {p.cells} cells, the header has {p.width}; an amount "
            "with a thousands separator must be quoted or written 1000.00",
        )
        for p in table.cell_problems
    ]
    needed = max(table.positions) + 1
    errors += [
        (line, f"expected at least {needed} fields, got {cells}")
        for line, cells in table.short_rows
        if cells < needed
    ]
    empty_id = pc.equal(table.customer_id, "").to_numpy(zero_copy_only=False)
    errors += [
        (int(lines[row]), "customer_id: empty") for row in np.flatnonzero(empty_id)
    ]
    dates = _dates_parse(table.date, lines, errors)
    amounts = _amounts_parse(table.amount, lines, errors)
    if errors:
        errors.sort()
        raise TransactionsFileError(path, [f"line {n}: {m}" for n, m in errors])
    index, codes = _customers_encode(table.customer_id)
    return Transactions(
        customer_index=index, customer_codes=codes, dates=dates, amounts=amounts
    )


def _without_path(message: str, path: str | Path) -> str:
    prefix = f"{Path(path)}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _customers_encode(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct ids and each row's code into them.

    What ``np.unique(ids, return_inverse=True)`` gives (UTF-8 byte order is
    code point order), without a Python string per row: ASCII ids of up to 8
    bytes (the usual order-system keys) are packed big-endian into one
    integer each, whose numeric order is the ids' byte order, and sorted as
    integers; others are hashed by pyarrow and only the distinct ids sorted.
    """
    packed = _ascii_ids_packed(ids)
    if packed is not None:
        keys, width = packed
        distinct, codes = sorted_inverse(keys)
        return distinct.astype(">u8").view("S8").astype(f"U{width}"), codes
    encoded = pc.dictionary_encode(ids)
    order = pc.array_sort_indices(encoded.dictionary)
    index = encoded.dictionary.take(order).to_numpy(zero_copy_only=False).astype(str)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return index, codes


def _ascii_ids_packed(ids: pa.Array) -> tuple[np.ndarray, int] | None:
    """Return each id's bytes as a big-endian uint64 (NUL-padded) and the widest.

    None when an id is longer than 8 bytes or not ASCII. NUL padding keeps a
    prefix before its extensions ("C1" < "C10"), as string order does; the
    file has no NUL bytes (``transactions_csv`` refuses them).
    """
    if ids.null_count or len(ids) == 0:
        return None
    _, offsets_buffer, data_buffer = ids.buffers()
    offsets = np.frombuffer(
        offsets_buffer, dtype=np.int32, count=len(ids) + 1, offset=ids.offset * 4
    )
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets - offsets[0]
    lengths = np.diff(offsets)
    width = int(lengths.max())
    if not 0 < width <= 8 or data.max() >= 0x80:
        return None
    if (lengths == width).all():
        cells = data.reshape(-1, width)
    else:
        at = offsets[:-1, None] + np.arange(width)
        cells = data[np.minimum(at, data.size - 1)]
        cells = np.where(np.arange(width) < lengths[:, None], cells, 0)
    padded = np.zeros((len(ids), 8), dtype=np.uint8)
    padded[:, :width] = cells
    return padded.view(">u8").ravel().astype(np.uint64), width


def _dates_parse(
    column: pa.Array, lines: np.ndarray, errors: list[tuple[int, str]]
) -> np.ndarray:
    # Arrow's cast reads only YYYY-MM-DD from ten bytes (some versions read
    # "1997-01-01T10" too): a length check, cheaper than a regex per cell.
    well_formed = pc.equal(pc.binary_length(column), 10)
    if pc.all(well_formed).as_py():
        try:
            days = column.cast(pa.date32()).cast(pa.int32())
            return days.to_numpy(zero_copy_only=False).astype("datetime64[D]")
        except pa.ArrowInvalid:
            pass  # e.g. 2024-13-01: find which below
    out = np.full(len(column), np.datetime64("NaT"), dtype="datetime64[D]")
    for row, text in enumerate(column.to_pylist()):
        try:
            if len(text) != 10:
                raise ValueError(text)
            out[row] = np.datetime64(dt.date.fromisoformat(text), "D")
        except ValueError:
            line = int(lines[row])
            errors.append((line, f"date: {text!r} is not a YYYY-MM-DD date"))
    return out


def _amounts_parse(
    column: pa.Array, lines: np.ndarray, errors: list[tuple[int, str]]
) -> np.ndarray:
    plain = pc.match_substring_regex(column, r"^-?\d+(\.\d+)?$")
    if not pc.all(plain).as_py():
        bad = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
        for row in bad:
            text = column[int(row)].as_py()
            try:
                amount_parse(text)
            except ValueError as exc:
                errors.append((int(lines[row]), f"amount: {exc}"))
        column = pc.if_else(plain, column, "0")
    # Arrow parses decimals to the nearest double, as float() does.
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    texts = None
    for row in np.flatnonzero(~np.isfinite(values) | (values < 0)):
        texts = texts or column
        text = texts[int(row)].as_py()
        problem = (
            "is negative (net refunds first)"
            if values[row] < 0
            else "is not a finite number"
        )
        errors.append((int(lines[row]), f"amount: {text!r} {problem}"))
    return values


def rfm_summary_build(
    *,
    transactions: Transactions,
    calibration_end: dt.date,
    time_unit: TimeUnit = "days",
    holdout_horizon: float | None = None,
) -> RfmSummary:
    """Reduce transactions to one row per customer seen by ``calibration_end``.

    Purchases on the same day are one transaction (amounts summed), because a
    split basket is one buying decision. Customers whose first purchase is
    after ``calibration_end`` are left out: the models know nothing of them.
    ``holdout_horizon`` (in ``time_unit``) also counts purchase days in the
    holdout window for backtesting.
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be 'days' or 'weeks', got {time_unit!r}")
    unit = DAYS_PER_UNIT[time_unit]
    end_day = np.datetime64(calibration_end, "D").astype(np.int64)
    # Views and in-place steps: at 2.8M rows each temporary is ~22 MB of the
    # peak (freed heap is kept by the allocator) and a page-faulted pass.
    days = np.asarray(transactions.dates, dtype="datetime64[D]").view(np.int64)
    amounts = np.asarray(transactions.amounts, dtype=np.float64)

    uniq_ids, cust = transactions.customer_index, transactions.customer_codes
    if days.size == 0:
        day0, span = 0, 1
    else:
        day0 = int(days.min())
        span = int(days.max()) - day0 + 1
    # One sortable key per (customer, day): merges same-day purchases and
    # orders each customer's days chronologically in a single np.unique.
    key = cust * span
    key += days
    key -= day0
    ukey, inverse = sorted_inverse(key)
    del key
    day_amount = np.bincount(inverse, weights=amounts, minlength=ukey.size)
    del inverse
    day_cust, day_day = np.divmod(ukey, span)
    day_day += day0

    in_cal = day_day <= end_day
    if in_cal.all():  # no holdout rows in the file: no copies
        cal_cust, cal_day, cal_amount = day_cust, day_day, day_amount
    else:
        cal_cust = day_cust[in_cal]
        cal_day = day_day[in_cal]
        cal_amount = day_amount[in_cal]
    n_customers = uniq_ids.size
    count = np.bincount(cal_cust, minlength=n_customers)
    seen = count > 0
    # Rows are sorted by (customer, day): a customer's first calibration row
    # is where the customer code changes.
    first_row = np.flatnonzero(np.r_[True, cal_cust[1:] != cal_cust[:-1]])
    first_row = first_row[: cal_cust.size]  # no calibration rows, no first row
    first_day = np.zeros(n_customers, dtype=np.int64)
    first_amount = np.zeros(n_customers)
    first_day[cal_cust[first_row]] = cal_day[first_row]
    first_amount[cal_cust[first_row]] = cal_amount[first_row]
    last_row = np.r_[first_row[1:] - 1, cal_cust.size - 1][: first_row.size]
    last_day = np.zeros(n_customers, dtype=np.int64)
    last_day[cal_cust[last_row]] = cal_day[last_row]
    total = np.bincount(cal_cust, weights=cal_amount, minlength=n_customers)

    frequency = (count - 1)[seen].astype(np.float64)
    repeat_total = (total - first_amount)[seen]
    monetary = np.divide(
        repeat_total,
        frequency,
        out=np.zeros_like(repeat_total),
        where=frequency > 0,
    )
    holdout = None
    if holdout_horizon is not None:
        horizon_days = int(np.floor(holdout_horizon * unit + 1e-9))
        in_hold = (day_day > end_day) & (day_day <= end_day + horizon_days)
        holdout = np.bincount(day_cust[in_hold], minlength=n_customers)[seen]
    return RfmSummary(
        customer_ids=uniq_ids[seen],
        frequency=frequency,
        recency=(last_day - first_day)[seen] / unit,
        T=(end_day - first_day)[seen] / unit,
        monetary=monetary,
        time_unit=time_unit,
        calibration_end=calibration_end,
        holdout_orders=holdout,
        holdout_horizon=holdout_horizon,
    )
