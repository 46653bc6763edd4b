"""CSV import and export through the admin's real django-import-export screens.

The import is two requests: the upload (``import/``) runs a dry run and shows a
preview or the errors; the confirm (``process_import/``) imports the stored file.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Client, Order

from .factories import ClientFactory, ManagerFactory, StylistFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

CLIENT_IMPORT = "/admin/customers/client/import/"
CLIENT_CONFIRM = "/admin/customers/client/process_import/"
CLIENT_EXPORT = "/admin/customers/client/export/"
ORDER_IMPORT = "/admin/customers/order/import/"
ORDER_CONFIRM = "/admin/customers/order/process_import/"

CLIENT_HEADER = (
    "email,first_name,last_name,city,time_zone,signup_date,stylist,"
    "preferred_styles,budget_band,marketing_consent"
)
GOOD_CLIENTS = f"""{CLIENT_HEADER}
ada@example.com,Ada,Lovelace,Chicago,America/Chicago,2024-01-05,stylist-a,\
casual; classic,moderate,1
Grace@Example.com,Grace,Hopper,Boston,America/New_York,2024-02-10,,edgy,premium,0
"""
# Line numbers count the header as line 1, as an editor shows them.
BAD_CLIENTS = f"""{CLIENT_HEADER}
ok@example.com,Okay,Row,Chicago,America/Chicago,2024-01-05,,casual,moderate,1
not-an-email,Bad,Email,Chicago,America/Chicago,2024-01-05,,casual,moderate,1
style@example.com,Bad,Style,Chicago,America/Chicago,2024-01-05,,grunge,moderate,1
zone@example.com,Bad,Zone,Chicago,Mars/Olympus_Mons,2024-01-05,,casual,moderate,1
"""
ORDER_HEADER = "client_email,ordered_at,status,items_sent,items_kept,amount"
BAD_ORDERS = f"""{ORDER_HEADER}
buyer@example.com,2024-03-01 12:00:00,kept,5,2,120.00
buyer@example.com,2024-03-02 12:00:00,kept,5,7,120.00
buyer@example.com,2024-03-03 12:00:00,kept,5,1,-10.00
"""


def csv_format_index(model, kind: str = "import") -> str:
    """Return the form value of the CSV format in the admin's format list."""
    model_admin = admin.site._registry[model]
    formats = getattr(model_admin, f"get_{kind}_formats")()
    titles = [f().get_title().lower() for f in formats]
    return str(titles.index("csv"))


def upload(client, url: str, model, content: str, name: str = "data.csv"):
    return client.post(
        url,
        {
            "resource": "0",
            "format": csv_format_index(model),
            "import_file": SimpleUploadedFile(
                name, content.encode(), content_type="text/csv"
            ),
        },
    )


def row_errors(response) -> dict[int, set[str]]:
    """Map each refused row's line number (header = line 1) to its bad fields."""
    result = response.context["result"]
    return {
        row.number + 1: set(row.field_specific_errors) for row in result.invalid_rows
    }


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


@pytest.fixture
def superuser_client(client):
    client.force_login(SuperuserFactory())
    return client


def test_import_page_shows_the_form(manager_client):
    """A manager can open the client import page."""
    response = manager_client.get(CLIENT_IMPORT)

    assert response.status_code == 200
    assert b'name="import_file"' in response.content


@pytest.mark.parametrize("user_fixture", ["manager_client", "superuser_client"])
def test_good_clients_preview_then_import(request, user_fixture):
    """A clean file shows a preview without writing, and the confirm imports it."""
    http = request.getfixturevalue(user_fixture)
    StylistFactory(username="stylist-a")

    preview = upload(http, CLIENT_IMPORT, Client, GOOD_CLIENTS)

    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [row.import_type for row in result.valid_rows()] == ["new", "new"]
    assert Client.objects.count() == 0
    confirm = preview.context["confirm_form"]

    done = http.post(CLIENT_CONFIRM, dict(confirm.initial))

    assert done.status_code == 302
    assert done.url.endswith("/admin/customers/client/")
    ada = Client.objects.get(email="ada@example.com")
    assert ada.stylist.username == "stylist-a"
    assert ada.preferred_styles == ["casual", "classic"]
    assert ada.time_zone == "America/Chicago"
    assert ada.signup_date == dt.date(2024, 1, 5)
    assert ada.marketing_consent is True
    assert Client.objects.get(email="grace@example.com").budget_band == "premium"


def test_reimport_updates_by_email(manager_client):
    """Rows match existing clients by email, case-insensitively, and update them."""
    ClientFactory(email="grace@example.com", first_name="G.")
    StylistFactory(username="stylist-a")

    preview = upload(manager_client, CLIENT_IMPORT, Client, GOOD_CLIENTS)
    manager_client.post(CLIENT_CONFIRM, dict(preview.context["confirm_form"].initial))

    assert Client.objects.count() == 2
    assert Client.objects.get(email="grace@example.com").first_name == "Grace"


def test_bad_clients_are_refused_naming_line_and_field(manager_client):
    """Bad email, unknown style and bad time zone are reported per line and field."""
    before = Client.objects.count()

    response = upload(manager_client, CLIENT_IMPORT, Client, BAD_CLIENTS)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    assert row_errors(response) == {
        3: {"email"},
        4: {"preferred_styles"},
        5: {"time_zone"},
    }
    html = response.content.decode()
    assert "Some rows failed to validate" in html
    assert "Mars/Olympus_Mons" in html
    assert "Unknown styles: grunge" in html
    assert Client.objects.count() == before


def test_confirm_writes_nothing_if_the_file_no_longer_validates(manager_client):
    """If a row turns invalid between preview and confirm, nothing is imported."""
    content = (
        "email,first_name,external_id\n"
        "ada@example.com,Ada,crm-1\n"
        "grace@example.com,Grace,crm-2\n"
    )
    preview = upload(manager_client, CLIENT_IMPORT, Client, content)
    assert "confirm_form" in preview.context
    # Meanwhile someone else takes Grace's external id: her row no longer validates.
    ClientFactory(email="other@example.com", external_id="crm-2")

    manager_client.post(CLIENT_CONFIRM, dict(preview.context["confirm_form"].initial))

    assert not Client.objects.filter(email="ada@example.com").exists()


def test_bad_orders_are_refused_naming_line_and_field(manager_client):
    """items_kept > items_sent and a negative amount refuse the whole file."""
    ClientFactory(email="buyer@example.com")

    response = upload(manager_client, ORDER_IMPORT, Order, BAD_ORDERS)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    errors = row_errors(response)
    assert errors == {3: {"items_kept"}, 4: {"amount"}}
    assert Order.objects.count() == 0


def test_good_orders_import(manager_client):
    """Orders import against existing clients by email."""
    buyer = ClientFactory(email="buyer@example.com")
    content = f"{ORDER_HEADER}\nBuyer@example.com,2024-03-01 12:00:00,kept,5,2,120.00\n"

    preview = upload(manager_client, ORDER_IMPORT, Order, content)
    assert not preview.context["result"].has_validation_errors()
    manager_client.post(ORDER_CONFIRM, dict(preview.context["confirm_form"].initial))

    order = Order.objects.get()
    assert order.client == buyer
    assert order.amount == Decimal("120.00")


def test_export_returns_csv(manager_client):
    """The export screen returns the visible clients as a CSV attachment."""
    ClientFactory(email="one@example.com", first_name="One")
    ClientFactory(email="two@example.com", first_name="Two")

    response = manager_client.post(
        CLIENT_EXPORT,
        {
            "resource": "0",
            "format": csv_format_index(Client, "export"),
            "clientresource_email": "on",
            "clientresource_first_name": "on",
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "email,first_name"
    assert sorted(lines[1:]) == ["one@example.com,One", "two@example.com,Two"]
