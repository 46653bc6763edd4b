"""Admin exports a spreadsheet opens without running what a client typed.

CSV injection (OWASP): a text cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is a formula to Excel and LibreOffice. Tested through
the admin's real export screen, in both offered formats.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin

from customers.export_formats import cell_neutralise
from customers.models import Client, Order

from .factories import ClientFactory, ManagerFactory, OrderFactory

pytestmark = pytest.mark.django_db

EVIL_NAME = '=HYPERLINK("http://evil","x")'
EVIL_NOTE = "@SUM(1)"


def format_index(model, title: str) -> str:
    formats = admin.site._registry[model].get_export_formats()
    return str([f().get_title().lower() for f in formats].index(title))


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


@pytest.fixture
def evil_client():
    return ClientFactory(
        email="evil@example.com",
        first_name=EVIL_NAME,
        last_name="+1+cmd|' /C calc'!A0",
        city="-2+3",
        stylist_notes=EVIL_NOTE,
    )


def export_clients(http, title: str):
    response = http.post(
        "/admin/customers/client/export/",
        {
            "resource": "0",
            "format": format_index(Client, title),
            "clientresource_email": "on",
            "clientresource_first_name": "on",
            "clientresource_last_name": "on",
            "clientresource_city": "on",
            "clientresource_stylist_notes": "on",
        },
    )
    assert response.status_code == 200
    return response


def test_only_formula_safe_formats_are_offered():
    """The export offers CSV and XLSX only, both neutralising formulas."""
    for model in (Client, Order):
        titles = [
            f().get_title() for f in admin.site._registry[model].get_export_formats()
        ]
        assert titles == ["csv", "xlsx"]


def test_csv_export_neutralises_formulas(manager_client, evil_client):
    """Formula-like text gets a leading apostrophe; other text is unchanged."""
    response = export_clients(manager_client, "csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [
        {
            "email": "evil@example.com",
            "first_name": "'" + EVIL_NAME,
            "last_name": "'+1+cmd|' /C calc'!A0",
            "city": "'-2+3",
            "stylist_notes": "'" + EVIL_NOTE,
        }
    ]


def test_xlsx_export_has_no_formula_cells(manager_client, evil_client):
    """XLSX cells are strings holding the exact text: nothing is a formula."""
    response = export_clients(manager_client, "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c.data_type for c in cells if c.data_type == "f"] == []
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1] == [
        "evil@example.com",
        EVIL_NAME,
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        EVIL_NOTE,
    ]


@pytest.mark.parametrize("title", ["csv", "xlsx"])
def test_amounts_are_not_mangled(manager_client, title):
    """Plain numbers are exported as they are, whatever the format."""
    OrderFactory(amount=Decimal("12.50"), client=ClientFactory(email="a@example.com"))

    response = manager_client.post(
        "/admin/customers/order/export/",
        {
            "resource": "0",
            "format": format_index(Order, title),
            "orderresource_client": "on",
            "orderresource_amount": "on",
        },
    )

    assert response.status_code == 200
    if title == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode())))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [["client_email", "amount"], ["a@example.com", "12.50"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("==1+1", "'==1+1"),
        ("+41 79 000", "'+41 79 000"),
        ("-5+cmd", "'-5+cmd"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("-5.25", "-5.25"),
        ("+3", "+3"),
        ("12.50", "12.50"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (7, 7),
    ],
)
def test_cell_neutralise(value, expected):
    """Only text a spreadsheet would evaluate changes; numbers never do."""
    assert cell_neutralise(value) == expected
