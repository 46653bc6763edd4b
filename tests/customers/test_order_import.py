"""The import_orders command and the order import service behind it."""

from __future__ import annotations

import datetime as dt
import gzip
import zoneinfo
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import Client, Order, OrderStatus
from customers.services.order_import import OrderImportError, orders_import_csv
from tests.support.transaction_csvs import TRANSACTION_CSVS

from .factories import ClientFactory

DATA = Path(__file__).resolve().parent.parent / "data"
GOOD = DATA / "transactions_good.csv"
BAD = DATA / "transactions_bad.csv"
CDNOW = DATA / "cdnow" / "cdnow_sample_transactions.csv"

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_orders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_file_creates_clients_and_orders():
    """Each customer id becomes a placeholder client and each row an order."""
    out, _ = run(str(GOOD))

    assert Client.objects.count() == 3
    assert Order.objects.count() == 6
    client = Client.objects.get(external_id="A100")
    assert client.first_name == "Customer"
    assert client.email == "customer-a100@import.invalid"
    assert client.marketing_consent is False
    assert client.signup_date == dt.date(2024, 1, 5)
    assert client.order_count == 3
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    assert client.last_order_at == dt.datetime(2024, 2, 10, 12, tzinfo=tz)
    order = Order.objects.filter(client__external_id="C300").get()
    assert order.amount == Decimal("120.50")
    assert order.status == OrderStatus.KEPT
    assert order.ordered_at == dt.datetime(2024, 3, 15, 12, tzinfo=tz)
    assert (order.items_sent, order.items_kept) == (5, 0)
    assert "orders created:         6" in out
    assert "clients created:        3" in out


def test_identical_rows_stay_separate_orders():
    """Two identical rows are two transactions, so two orders with distinct keys."""
    run(str(GOOD))

    keys = set(
        Order.objects.filter(
            client__external_id="A100", amount=Decimal("14.96")
        ).values_list("import_key", flat=True)
    )
    assert keys == {"A100|2024-02-10|14.96|0", "A100|2024-02-10|14.96|1"}


def test_running_twice_adds_nothing():
    """A second import of the same file finds every order already present."""
    run(str(GOOD))
    out, _ = run(str(GOOD))

    assert Client.objects.count() == 3
    assert Order.objects.count() == 6
    assert "orders created:         0" in out
    assert "orders already present: 6" in out
    assert Client.objects.get(external_id="A100").order_count == 3


def test_existing_client_is_reused_not_duplicated():
    """A client whose external_id matches keeps its profile and gets the orders."""
    client = ClientFactory(external_id="B200", first_name="Bea")

    summary = orders_import_csv(path=GOOD)

    assert summary.clients_created == 2
    client.refresh_from_db()
    assert client.first_name == "Bea"
    assert client.order_count == 2


def test_bad_file_writes_nothing_and_names_line_and_field():
    """Any invalid row refuses the whole file with errors naming line and field."""
    with pytest.raises(CommandError) as excinfo:
        run(str(BAD))

    message = str(excinfo.value)
    assert "line 3: amount 'abc' is not a number" in message
    assert "line 4: customer_id is empty" in message
    assert "line 5: date '2024-13-01' is not a YYYY-MM-DD date" in message
    assert "line 6: amount '-5' is negative" in message
    assert "nothing was imported" in message
    assert Client.objects.count() == 0
    assert Order.objects.count() == 0


def test_service_reports_structured_errors():
    """The service's errors carry the line and the field for callers to use."""
    with pytest.raises(OrderImportError) as excinfo:
        orders_import_csv(path=BAD)

    assert {(e.line, e.field) for e in excinfo.value.errors} == {
        (3, "amount"),
        (4, "customer_id"),
        (5, "date"),
        (6, "amount"),
    }


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest():
    """With --skip-invalid the good rows are written and the bad ones listed."""
    out, err = run(str(BAD), "--skip-invalid")

    assert Order.objects.count() == 2
    assert set(Client.objects.values_list("external_id", flat=True)) == {
        "A100",
        "C300",
    }
    assert "Skipped 4 invalid row(s)" in err
    assert "line 3: amount 'abc' is not a number" in err
    assert "rows read:              6" in out
    assert "rows skipped:           4" in out


def test_missing_column_is_named(tmp_path):
    """A file without a required column is refused with the column's name."""
    path = tmp_path / "no_amount.csv"
    path.write_text("customer_id,date,quantity\n1,2024-01-01,2\n")

    with pytest.raises(CommandError, match="missing required column"):
        run(str(path))
    with pytest.raises(CommandError, match="amount"):
        run(str(path))


def test_empty_file_is_refused(tmp_path):
    """A file with no header at all is a clear error, not a crash."""
    path = tmp_path / "empty.csv"
    path.write_text("")

    with pytest.raises(CommandError, match="header row"):
        run(str(path))


def test_error_list_is_truncated(tmp_path):
    """Only the first 20 errors are listed, followed by how many more there are."""
    path = tmp_path / "many.csv"
    path.write_text("customer_id,date,amount\n" + "1,2024-01-01,x\n" * 25)

    with pytest.raises(CommandError) as excinfo:
        run(str(path))

    message = str(excinfo.value)
    assert "line 21:" in message
    assert "line 22:" not in message
    assert "... and 5 more" in message


@pytest.mark.slow
def test_cdnow_sample_imports_every_transaction():
    """CDNOW's 6,919 rows become 2,357 clients and 6,919 orders, idempotently."""
    summary = orders_import_csv(path=CDNOW, batch_size=2000)

    assert summary.rows_read == 6919
    assert summary.clients_created == 2357
    assert summary.orders_created == 6919
    assert Client.objects.count() == 2357
    assert Order.objects.count() == 6919
    assert sum(Client.objects.values_list("order_count", flat=True)) == 6919

    again = orders_import_csv(path=CDNOW)
    assert (again.clients_created, again.orders_created) == (0, 0)
    assert again.orders_existing == 6919
    assert Order.objects.count() == 6919


# -- Files that are not UTF-8 text.


def test_latin1_file_names_the_line_and_the_way_out(tmp_path):
    """A latin-1 file is refused at the first bad line, saying how to read it."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "customer_id,date,amount,note\n"
        "A1,2024-01-05,10.00,ok\n"
        "A2,2024-01-06,11.00,Zoë\n".encode("latin-1")
    )

    with pytest.raises(CommandError) as excinfo:
        run(str(path))

    assert (
        "line 3: the file is not UTF-8-SIG; re-save it as UTF-8 or pass "
        "--encoding latin-1" in str(excinfo.value)
    )
    assert not Order.objects.exists()


def test_encoding_option_reads_a_latin1_file(tmp_path):
    """--encoding latin-1 imports the same file."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "customer_id,date,amount\nZoë,2024-01-06,11.00\n".encode("latin-1")
    )

    run(str(path), "--encoding", "latin-1")

    assert Client.objects.get().external_id == "Zoë"


def test_unknown_encoding_is_a_clear_error(tmp_path):
    """A misspelt --encoding is named, not a LookupError."""
    path = tmp_path / "x.csv"
    path.write_text("customer_id,date,amount\n")

    with pytest.raises(CommandError, match="unknown encoding 'latin-9000'"):
        run(str(path), "--encoding", "latin-9000")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (gzip.compress(b"customer_id,date,amount\n1,2024-01-01,2\n"), "gzip"),
        (
            b"customer_id,date,amount\n1,2024-01-01,2\x00\x00\n",
            "line 2: the file has NUL",
        ),
        (b"\xff\xfec\x00u\x00s\x00", "NUL bytes"),
    ],
)
def test_binary_files_are_refused_in_words(tmp_path, content, expected):
    """gzip, NUL bytes or UTF-16 give a sentence, not a traceback."""
    path = tmp_path / "binary.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=expected):
        run(str(path))
    assert not Order.objects.exists()


# -- Amounts: plain decimals only.


def test_unquoted_thousands_separator_is_refused(tmp_path):
    """1,000.00 unquoted splits into two cells; the row is refused, not read as 1."""
    path = tmp_path / "thousands.csv"
    path.write_text(
        "customer_id,date,amount\nA1,2024-01-05,12.50\nA1,2024-01-06,1,000.00\n"
    )

    with pytest.raises(CommandError) as excinfo:
        run(str(path))

    assert (
        "line 3: has 4 cells, the header has 3; an amount with a thousands "
        "separator must be quoted or written 1000.00" in str(excinfo.value)
    )
    run(str(path), "--skip-invalid")
    assert list(Order.objects.values_list("amount", flat=True)) == [Decimal("12.50")]


def test_trailing_empty_cells_are_harmless(tmp_path):
    """A spreadsheet's stray trailing commas are not extra cells."""
    path = tmp_path / "trailing.csv"
    path.write_text("customer_id,date,amount\nA1,2024-01-05,12.50,,\n")

    run(str(path))

    assert Order.objects.get().amount == Decimal("12.50")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ('"1,000.00"', "amount '1,000.00' has a thousands separator"),
        ("1_000", "amount '1_000' is not a number"),
        ("1e3", "amount '1e3' is not a number"),
        ("+5", "amount '+5' is not a number"),
        ("NaN", "amount 'NaN' is not a number"),
        ("Infinity", "amount 'Infinity' is not a number"),
        ("-5", "amount '-5' is negative"),
        ("0x10", "amount '0x10' is not a number"),
    ],
)
def test_only_plain_decimal_amounts_are_read(tmp_path, amount, expected):
    """Decimal() reads 1_000 and 1e3; an order amount is written 12, 12.5 or 12.50."""
    path = tmp_path / "amounts.csv"
    path.write_text(f"customer_id,date,amount\nA1,2024-01-05,{amount}\n")

    with pytest.raises(OrderImportError) as excinfo:
        orders_import_csv(path=path)

    assert f"line 2: {expected}" in str(excinfo.value)
    assert [(e.line, e.field) for e in excinfo.value.errors] == [(2, "amount")]


def test_plain_decimal_amounts_are_read(tmp_path):
    """12, 12.5, 12.50 and 0 are amounts."""
    path = tmp_path / "plain.csv"
    path.write_text(
        "customer_id,date,amount\n"
        "A1,2024-01-05,12\nA1,2024-01-06,12.5\nA1,2024-01-07,12.50\nA1,2024-01-08,0\n"
    )

    orders_import_csv(path=path)

    assert sorted(Order.objects.values_list("amount", flat=True)) == [
        Decimal("0.00"),
        Decimal("12.00"),
        Decimal("12.50"),
        Decimal("12.50"),
    ]


# -- Customer ids that differ only in case.

CASE_IDS = (
    "customer_id,date,amount\n"
    "AB12,2024-01-05,10.00\n"
    "ab12,2024-01-06,11.00\n"
    "C3,2024-01-07,12.00\n"
)


def test_ids_differing_only_in_case_are_row_errors(tmp_path):
    """ab12 after AB12 is refused with its line (a typo), not the whole file blind."""
    path = tmp_path / "case.csv"
    path.write_text(CASE_IDS)

    with pytest.raises(OrderImportError) as excinfo:
        orders_import_csv(path=path)

    assert [(e.line, e.field) for e in excinfo.value.errors] == [(3, "customer_id")]
    assert (
        "line 3: customer_id 'ab12' differs only in case from 'AB12' on line 2"
        in str(excinfo.value)
    )
    assert not Client.objects.exists()


def test_skip_invalid_skips_ids_differing_only_in_case(tmp_path):
    """With --skip-invalid the first spelling and the other rows are imported."""
    path = tmp_path / "case.csv"
    path.write_text(CASE_IDS)

    out, err = run(str(path), "--skip-invalid")

    assert set(Client.objects.values_list("external_id", flat=True)) == {"AB12", "C3"}
    assert Order.objects.count() == 2
    assert "line 3: customer_id 'ab12' differs only in case" in err
    assert "rows skipped:           1" in out


def test_id_differing_in_case_from_an_existing_client(tmp_path):
    """A file's b200 is refused when client B200 exists; --skip-invalid skips it."""
    ClientFactory(external_id="B200", email="bea@example.com")
    path = tmp_path / "case.csv"
    path.write_text(
        "customer_id,date,amount\nb200,2024-01-05,10.00\nB200,2024-01-06,1\n"
    )

    with pytest.raises(
        CommandError,
        match="line 2: customer_id 'b200' differs only "
        "in case from existing client 'B200'",
    ):
        run(str(path))
    run(str(path), "--skip-invalid")

    assert Client.objects.count() == 1
    assert Order.objects.get().client.external_id == "B200"


# -- Dates the business can have.


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("0001-01-01", "before the business started"),
        ("1989-12-31", "before the business started"),
        ("9999-12-31", "too far in the future"),
        ("in 10 days", "too far in the future"),
    ],
)
def test_dates_outside_the_business_are_row_errors(tmp_path, day, expected):
    """Year 1, year 9999, before BUSINESS_STARTED_ON or days ahead: line and field."""
    if day == "in 10 days":
        day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    path = tmp_path / "dates.csv"
    path.write_text(f"customer_id,date,amount\nA1,2024-01-05,1\nA1,{day},2\n")

    with pytest.raises(OrderImportError) as excinfo:
        orders_import_csv(path=path)

    assert [(e.line, e.field) for e in excinfo.value.errors] == [(3, "date")]
    assert f"line 3: date {day} is {expected}" in str(excinfo.value)
    summary = orders_import_csv(path=path, skip_invalid=True)
    assert (summary.orders_created, summary.rows_skipped) == (1, 1)


def test_a_date_a_day_ahead_is_accepted(tmp_path):
    """Tomorrow is within the few days of clock and time-zone slack."""
    day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    path = tmp_path / "tomorrow.csv"
    path.write_text(f"customer_id,date,amount\nA1,{day},2\n")

    assert orders_import_csv(path=path).orders_created == 1


# -- Bad input, one table (the admin's and the background job's are in
# test_background_import.py; items, ratings, names and emails are not columns here).

IMPORT_ORDERS_BAD_INPUT = [
    ("utf8-bom", TRANSACTION_CSVS["utf8-bom"], None),
    (
        "crlf",
        b"customer_id,date,amount\r\nA1,2024-01-05,10\r\nA2,2024-01-06,5\r\n",
        None,
    ),
    ("extra-column", TRANSACTION_CSVS["extra-column"], None),
    (
        "missing-column",
        b"customer_id,date\nA1,2024-01-05\n",
        "missing required column(s): amount",
    ),
    (
        "extra-cell",
        b"customer_id,date,amount\nA1,2024-01-05,10,surplus\n",
        "line 2: has 4 cells",
    ),
    ("empty-file", TRANSACTION_CSVS["empty"], "the file is empty"),
    ("pdf", b"%PDF-1.7\n...", "the file is a PDF"),
    (
        "date-dmy",
        TRANSACTION_CSVS["day-month-year"],
        "line 2: date '31/12/2024' is not a YYYY-MM-DD date",
    ),
    (
        "date-word",
        TRANSACTION_CSVS["word-date"],
        "line 2: date 'yesterday' is not a YYYY-MM-DD date",
    ),
    (
        "negative-amount",
        TRANSACTION_CSVS["negative-amount"],
        "line 2: amount '-10.00' is negative",
    ),
    (
        "ids-differ-in-case",
        b"customer_id,date,amount\nab12,2024-01-05,1\nAB12,2024-01-06,1\n",
        "line 3: customer_id 'AB12' differs only in case",
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(c, e, id=name) for name, c, e in IMPORT_ORDERS_BAD_INPUT],
)
def test_bad_input_table(tmp_path, content, expected):
    """Each answers in words naming the line or column, or imports; none half-writes."""
    path = tmp_path / "input.csv"
    path.write_bytes(content)

    if expected is None:
        run(str(path))
        assert Order.objects.exists()
        return
    with pytest.raises(CommandError) as excinfo:
        run(str(path))
    assert expected in str(excinfo.value)
    assert not Order.objects.exists()
    assert not Client.objects.exists()
