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

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

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
    """One row per purchase line: who, which day, how much."""

    customer_ids: np.ndarray  # str
    dates: np.ndarray  # datetime64[D]
    amounts: np.ndarray  # float64


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

    Parse the columns in bulk and only walk the rows one by one when the bulk
    parse fails, so a clean 10M-row file costs no per-row Python work beyond
    the csv module, and a bad file still gets an error naming each line.
    """
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise TransactionsFileError(path, [f"cannot open file: {exc}"]) from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise TransactionsFileError(path, ["file is empty (no header)"]) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise TransactionsFileError(path, [f"line 1: {exc}"]) from exc
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            raise TransactionsFileError(
                path,
                [f"line 1: header lacks column(s) {', '.join(missing)}; got {header}"],
            )
        idx = [names.index(name) for name in REQUIRED_COLUMNS]
        width = max(idx) + 1
        ids: list[str] = []
        dates: list[str] = []
        amounts: list[str] = []
        short_rows: list[str] = []
        try:
            for row in reader:
                if len(row) < width:
                    if not any(cell.strip() for cell in row):
                        continue  # blank line
                    short_rows.append(
                        f"line {reader.line_num}: expected at least {width} fields, "
                        f"got {len(row)}"
                    )
                    row = [*row, *([""] * (width - len(row)))]
                ids.append(row[idx[0]].strip())
                dates.append(row[idx[1]].strip())
                amounts.append(row[idx[2]].strip())
        except (csv.Error, UnicodeDecodeError) as exc:
            raise TransactionsFileError(
                path, [f"line {reader.line_num}: {exc}"]
            ) from exc
    if short_rows:
        raise TransactionsFileError(path, short_rows)
    return _transactions_parse(path=path, ids=ids, dates=dates, amounts=amounts)


def _transactions_parse(
    *, path: Path, ids: list[str], dates: list[str], amounts: list[str]
) -> Transactions:
    id_arr = np.asarray(ids, dtype=str)
    date_arr = np.asarray(dates, dtype=str)
    errors: list[tuple[int, str]] = []

    for row in np.flatnonzero(np.char.str_len(id_arr) == 0):
        errors.append((int(row), "customer_id: empty"))

    parsed_dates = _dates_parse(date_arr, errors)
    parsed_amounts = _amounts_parse(amounts, errors)
    if errors:
        errors.sort()
        # Data rows start on line 2 (line 1 is the header); blank lines are
        # rare enough that we do not track them for numbering.
        raise TransactionsFileError(path, [f"line {r + 2}: {m}" for r, m in errors])
    return Transactions(customer_ids=id_arr, dates=parsed_dates, amounts=parsed_amounts)


def _dates_parse(date_arr: np.ndarray, errors: list[tuple[int, str]]) -> np.ndarray:
    # numpy also accepts "1997-01" or "1997-01-01T10"; insist on YYYY-MM-DD.
    well_formed = np.char.str_len(date_arr) == 10
    if well_formed.all():
        try:
            return date_arr.astype("datetime64[D]")
        except ValueError:
            pass
    out = np.full(date_arr.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    for row, text in enumerate(date_arr.tolist()):
        try:
            if len(text) != 10:
                raise ValueError(text)
            out[row] = np.datetime64(dt.datetime.strptime(text, "%Y-%m-%d"), "D")  # noqa: DTZ007 - a calendar day, no time zone
        except ValueError:
            errors.append((row, f"date: {text!r} is not a YYYY-MM-DD date"))
    return out


def _amounts_parse(amounts: list[str], errors: list[tuple[int, str]]) -> np.ndarray:
    try:
        values = np.asarray(amounts, dtype=np.float64)
    except ValueError:
        values = np.full(len(amounts), np.nan)
        for row, text in enumerate(amounts):
            try:
                values[row] = float(text)
            except ValueError:
                errors.append((row, f"amount: {text!r} is not a number"))
                values[row] = 0.0
    for row in np.flatnonzero(~np.isfinite(values)):
        errors.append((int(row), f"amount: {amounts[row]!r} is not a finite number"))
    for row in np.flatnonzero(values < 0):
        errors.append(
            (int(row), f"amount: {amounts[row]!r} is negative (net refunds first)")
        )
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
    days = transactions.dates.astype("datetime64[D]").astype(np.int64)
    amounts = np.asarray(transactions.amounts, dtype=np.float64)

    uniq_ids, cust = np.unique(transactions.customer_ids, return_inverse=True)
    cust = cust.astype(np.int64)
    if days.size == 0:
        day0, span = 0, 1
    else:
        day0 = int(days.min())
        span = int(days.max()) - day0 + 1
    # One sortable key per (customer, day): merges same-day purchases and
    # orders each customer's days chronologically in a single np.unique.
    key = cust * span + (days - day0)
    ukey, inverse = np.unique(key, return_inverse=True)
    day_amount = np.bincount(inverse, weights=amounts, minlength=ukey.size)
    day_cust = ukey // span
    day_day = ukey % span + day0

    in_cal = day_day <= end_day
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
