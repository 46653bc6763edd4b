"""The import_orders command and the order import service behind it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from customers.models import Client, Order, OrderStatus
from customers.services.order_import import OrderImportError, orders_import_csv

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
