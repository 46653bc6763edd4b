"""Reading transaction CSVs and building the RFM summary."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pytest

from scoring.transactions import (
    Transactions,
    TransactionsFileError,
    rfm_summary_build,
    transactions_read_csv,
)
from tests.support.transaction_csvs import TRANSACTION_CSVS

from .csv_reader_reference import reference_read_csv

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow"
CDNOW_CSV = CDNOW / "cdnow_sample_transactions.csv"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tx.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _summary(tmp_path: Path, text: str, **kwargs):
    transactions = transactions_read_csv(path=_write(tmp_path, text))
    return rfm_summary_build(transactions=transactions, **kwargs)


def test_same_day_purchases_merge_into_one_transaction(tmp_path):
    """Two purchases on one day are one transaction with the amounts summed."""
    summary = _summary(
        tmp_path,
        "customer_id,date,amount\n"
        "a,2024-01-01,10\n"
        "a,2024-01-11,5\n"
        "a,2024-01-11,7\n"
        "a,2024-01-21,30\n",
        calibration_end=dt.date(2024, 1, 31),
    )
    assert summary.frequency.tolist() == [2.0]
    assert summary.recency.tolist() == [20.0]
    assert summary.T.tolist() == [30.0]
    # Repeat transactions: 12 (merged) and 30; the first purchase is excluded.
    assert summary.monetary.tolist() == [21.0]


def test_weeks_divide_day_counts_by_seven(tmp_path):
    """Recency and T in weeks are the day counts over seven."""
    summary = _summary(
        tmp_path,
        "customer_id,date,amount\nx,2024-01-01,1\nx,2024-01-15,1\n",
        calibration_end=dt.date(2024, 1, 29),
        time_unit="weeks",
    )
    assert summary.recency.tolist() == [2.0]
    assert summary.T.tolist() == [4.0]


def test_one_time_buyer_has_zero_frequency_recency_and_monetary(tmp_path):
    """A single purchase gives x = 0, t_x = 0 and monetary 0."""
    summary = _summary(
        tmp_path,
        "customer_id,date,amount\nsolo,2024-03-01,99\n",
        calibration_end=dt.date(2024, 3, 11),
    )
    assert summary.frequency.tolist() == [0.0]
    assert summary.recency.tolist() == [0.0]
    assert summary.monetary.tolist() == [0.0]
    assert summary.T.tolist() == [10.0]


def test_customers_first_seen_after_calibration_are_excluded(tmp_path):
    """Only customers with a purchase by the calibration end are summarised."""
    summary = _summary(
        tmp_path,
        "customer_id,date,amount\nold,2024-01-01,1\nnew,2024-02-05,1\n",
        calibration_end=dt.date(2024, 1, 31),
    )
    assert summary.customer_ids.tolist() == ["old"]


def test_holdout_window_is_the_days_after_calibration_up_to_horizon(tmp_path):
    """Holdout counts purchase days in (end, end + horizon], not later ones."""
    summary = _summary(
        tmp_path,
        "customer_id,date,amount\n"
        "c,2024-01-01,1\n"
        "c,2024-01-31,1\n"  # calibration end day: calibration
        "c,2024-02-01,1\n"  # first holdout day
        "c,2024-02-10,1\n"  # last holdout day (horizon 10)
        "c,2024-02-10,3\n"  # same day: merged
        "c,2024-02-11,1\n",  # after the horizon
        calibration_end=dt.date(2024, 1, 31),
        holdout_horizon=10,
    )
    assert summary.frequency.tolist() == [1.0]
    assert summary.recency.tolist() == [30.0]
    assert summary.holdout_orders.tolist() == [2]


def test_extra_columns_and_column_order_are_ignored(tmp_path):
    """Columns are found by header name; others are ignored."""
    summary = _summary(
        tmp_path,
        "amount,note,date,customer_id\n5,x,2024-01-01,k\n6,y,2024-01-02,k\n",
        calibration_end=dt.date(2024, 1, 2),
    )
    assert summary.frequency.tolist() == [1.0]
    assert summary.monetary.tolist() == [6.0]


def test_bad_rows_are_all_reported_with_line_and_field(tmp_path):
    """Every bad row is reported by line number and field, in one error."""
    path = _write(
        tmp_path,
        "customer_id,date,amount\n"
        "a,2024-01-01,10\n"
        "a,2024-13-01,10\n"
        "b,2024-01-02,ten\n"
        ",2024-01-02,1\n"
        "c,2024-01-02,-5\n"
        "d,2024/01/02,1\n",
    )
    with pytest.raises(TransactionsFileError) as info:
        transactions_read_csv(path=path)
    message = str(info.value)
    assert "line 3: date: '2024-13-01'" in message
    assert "line 4: amount: 'ten'" in message
    assert "line 5: customer_id: empty" in message
    assert "line 6: amount: '-5' is negative" in message
    assert "line 7: date: '2024/01/02'" in message
    assert len(info.value.errors) == 5


def test_missing_header_column_is_reported(tmp_path):
    """A header without an amount column is rejected naming the column."""
    path = _write(tmp_path, "customer_id,date\na,2024-01-01\n")
    with pytest.raises(TransactionsFileError, match="lacks column\\(s\\) amount"):
        transactions_read_csv(path=path)


def test_short_row_is_reported(tmp_path):
    """A row with too few fields is rejected with its line number."""
    path = _write(tmp_path, "customer_id,date,amount\na,2024-01-01\n")
    with pytest.raises(TransactionsFileError, match="line 2: expected at least 3"):
        transactions_read_csv(path=path)


def test_missing_file_is_reported(tmp_path):
    """A path that does not exist raises TransactionsFileError, not OSError."""
    with pytest.raises(TransactionsFileError, match="cannot open"):
        transactions_read_csv(path=tmp_path / "nope.csv")


def test_cdnow_summary_matches_the_literature_counts():
    """CDNOW has 2,357 customers, 2,457 calibration and 1,882 holdout repeats.

    These are the totals of the Fader, Hardie & Lee (2005) data set
    (calibration to 1997-09-30, 39-week holdout, same-day purchases merged).
    """
    transactions = transactions_read_csv(path=CDNOW_CSV)
    summary = rfm_summary_build(
        transactions=transactions,
        calibration_end=dt.date(1997, 9, 30),
        time_unit="weeks",
        holdout_horizon=39,
    )
    assert summary.frequency.size == 2357
    assert summary.frequency.sum() == 2457
    assert summary.holdout_orders.sum() == 1882
    assert int((summary.frequency > 0).sum()) == 946
    assert np.all(summary.recency <= summary.T)
    assert summary.T.max() == pytest.approx(272 / 7)


# -- The pyarrow reader against the csv-module reader it replaced.


def test_cdnow_arrays_match_the_csv_module_reader_bit_for_bit():
    """Ids, days and amounts of CDNOW are exactly what the old reader returned."""
    ids, dates, amounts = reference_read_csv(path=CDNOW_CSV)

    transactions = transactions_read_csv(path=CDNOW_CSV)

    assert transactions.customer_ids.dtype == ids.dtype
    assert np.array_equal(transactions.customer_ids, ids)
    assert np.array_equal(transactions.dates, dates)
    assert np.array_equal(transactions.amounts.view(np.int64), amounts.view(np.int64))


def test_cdnow_summary_matches_the_csv_module_reader_bit_for_bit():
    """The RFM summary built from both readers' arrays is the same, bit for bit."""
    ids, dates, amounts = reference_read_csv(path=CDNOW_CSV)
    index, codes = np.unique(ids, return_inverse=True)
    old = Transactions(
        customer_index=index, customer_codes=codes, dates=dates, amounts=amounts
    )
    kwargs = {"calibration_end": dt.date(1997, 9, 30), "holdout_horizon": 39}

    new_summary = rfm_summary_build(
        transactions=transactions_read_csv(path=CDNOW_CSV), time_unit="weeks", **kwargs
    )
    old_summary = rfm_summary_build(transactions=old, time_unit="weeks", **kwargs)

    for name in ("customer_ids", "frequency", "recency", "T", "monetary"):
        new, was = getattr(new_summary, name), getattr(old_summary, name)
        assert new.dtype == was.dtype, name
        assert new.tobytes() == was.tobytes(), name
    assert np.array_equal(new_summary.holdout_orders, old_summary.holdout_orders)


def test_customer_codes_follow_the_sorted_ids(tmp_path):
    """Codes index the ids in np.unique's order, non-ASCII and case included."""
    names = ["b", "Zoë", "a", "zoe", "B", "Ångström", "a", "10", "9", "b"]
    path = _write(
        tmp_path,
        "customer_id,date,amount\n"
        + "".join(f"{name},2024-01-0{i % 9 + 1},1\n" for i, name in enumerate(names)),
    )

    transactions = transactions_read_csv(path=path)

    index, codes = np.unique(np.asarray(names), return_inverse=True)
    assert transactions.customer_index.tolist() == index.tolist()
    assert transactions.customer_codes.tolist() == codes.tolist()


# -- Bad input: a sentence naming the line and the field, never a traceback.

BAD_INPUT = [
    (
        "latin-1",
        "customer_id,date,amount\nA1,2024-01-05,1\nZoë,2024-01-06,2\n".encode(
            "latin-1"
        ),
        "line 3: the file is not UTF-8-SIG; re-save it as UTF-8",
    ),
    (
        "missing-column",
        b"customer_id,amount\nA1,10\n",
        "line 1: missing required column(s): date",
    ),
    (
        "extra-cell",
        b"customer_id,date,amount\nA1,2024-01-05,10\nA1,2024-01-06,1,000.00\n",
        "line 3: cells: has 4 cells, the header has 3",
    ),
    (
        "missing-cell",
        b"customer_id,date,amount\nA1,2024-01-05,10\nA1,2024-01-06\n",
        "line 3: expected at least 3 fields, got 2",
    ),
    ("empty", TRANSACTION_CSVS["empty"], "the file is empty"),
    ("blank", b"\n\n", "the file is empty"),
    ("gzip", gzip.compress(b"customer_id,date,amount\n"), "gzip-compressed"),
    ("zip", b"PK\x03\x04\x14\x00", "a zip file or an Excel workbook"),
    (
        "nul",
        b"customer_id,date,amount\nA1,2024-01-05,10\nA1\x00\x00\n",
        "line 3: the file has NUL bytes",
    ),
    ("utf-16", "customer_id,date,amount\n".encode("utf-16"), "NUL bytes"),
    (
        "day-month-year",
        TRANSACTION_CSVS["day-month-year"],
        "line 2: date: '31/12/2024' is not a YYYY-MM-DD date",
    ),
    (
        "word-date",
        TRANSACTION_CSVS["word-date"],
        "line 2: date: 'yesterday' is not a YYYY-MM-DD date",
    ),
    (
        "date-and-time",
        b"customer_id,date,amount\nA1,2024-01-05T10,10\n",
        "line 2: date: '2024-01-05T10' is not a YYYY-MM-DD date",
    ),
    (
        "negative",
        TRANSACTION_CSVS["negative-amount"],
        "line 2: amount: '-10.00' is negative",
    ),
    (
        "thousands",
        b'customer_id,date,amount\nA1,2024-01-05,"1,000.00"\n',
        "line 2: amount: '1,000.00' has a thousands separator",
    ),
    (
        "exponent",
        b"customer_id,date,amount\nA1,2024-01-05,1e3\n",
        "line 2: amount: '1e3' is not a number",
    ),
    (
        "infinity",
        b"customer_id,date,amount\nA1,2024-01-05,inf\n",
        "line 2: amount: 'inf' is not a number",
    ),
    (
        "blank-lines-keep-line-numbers",
        b"customer_id,date,amount\r\n\r\nA1,2024-01-05,10\r\n\r\nA1,2024-01-06,x\r\n",
        "line 5: amount: 'x' is not a number",
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(c, e, id=name) for name, c, e in BAD_INPUT],
)
def test_bad_input_is_refused_naming_line_and_field(tmp_path, content, expected):
    """Each bad file raises TransactionsFileError whose message says where and why."""
    path = tmp_path / "input.csv"
    path.write_bytes(content)

    with pytest.raises(TransactionsFileError) as info:
        transactions_read_csv(path=path)

    assert expected in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(TRANSACTION_CSVS["utf8-bom"], id="bom"),
        pytest.param(b"customer_id,date,amount\r\nA1,2024-01-05,10\r\n", id="crlf"),
        pytest.param(TRANSACTION_CSVS["extra-column"], id="extra"),
        pytest.param(b"customer_id,date,amount\nA1,2024-01-05,10,,\n", id="commas"),
        pytest.param(b"Customer_ID , Date,AMOUNT\n A1 , 2024-01-05 ,10\n", id="spaces"),
        pytest.param(
            b"customer_id,date,amount\n,,\nA1,2024-01-05,10\n", id="empty-row"
        ),
        pytest.param(b'customer_id,date,amount\n"A1","2024-01-05","10"\n', id="quoted"),
    ],
)
def test_good_variants_read_the_same(tmp_path, content):
    """A BOM, CRLF, other columns, stray commas, spaces and quotes read alike."""
    path = tmp_path / "input.csv"
    path.write_bytes(content)

    transactions = transactions_read_csv(path=path)

    assert transactions.customer_ids.tolist() == ["A1"]
    assert transactions.dates.tolist() == [dt.date(2024, 1, 5)]
    assert transactions.amounts.tolist() == [10.0]


def test_short_ascii_ids_sort_as_strings(tmp_path):
    """Ids of 1-8 ASCII bytes (packed into integers) keep np.unique's string order,
    a prefix before its extensions; a longer id falls back and agrees too."""
    names = ["C10", "C1", "C9", "c1", "C1 0", "~", "0", "C10", "ZZZZZZZZ", "C1"]
    for extra in ([], ["C123456789"]):
        ids = names + extra
        path = _write(
            tmp_path,
            "customer_id,date,amount\n"
            + "".join(
                f'"{name}",2024-01-0{i % 9 + 1},1\n' for i, name in enumerate(ids)
            ),
        )

        transactions = transactions_read_csv(path=path)

        index, codes = np.unique(np.asarray(ids), return_inverse=True)
        assert transactions.customer_index.dtype == index.dtype
        assert transactions.customer_index.tolist() == index.tolist()
        assert transactions.customer_codes.tolist() == codes.tolist()
