"""CSV import and export through the admin's real django-import-export screens.

The import is two requests: the upload (``import/``) runs a dry run and shows a
preview or the errors; the confirm (``process_import/``) imports the stored file.
"""

from __future__ import annotations

import datetime as dt
import html
import tempfile
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.admin_import import CheckedCSV
from customers.models import Client, Order
from customers.resources import ClientResource, OrderResource

from .factories import ClientFactory, OrderFactory, StylistFactory, user_with_role

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
def manager_client(client, login_as):
    login_as("manager")
    return client


@pytest.fixture
def superuser_client(client, login_as):
    login_as("superuser")
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


# -- Who may import (Managers and superusers only), and what a row may touch.


def page_text(response) -> str:
    """Return the page's HTML with entities decoded, for asserting on words."""
    return html.unescape(response.content.decode())


@pytest.fixture
def book():
    """Two stylists' clients, one Fix of Bob's client, and the four kinds of user."""
    alice = StylistFactory(username="alice")
    bob = StylistFactory(username="bob")
    theirs = ClientFactory(
        email="ben@example.com", stylist=bob, stylist_notes="Allergic to wool."
    )
    return {
        "alice": alice,
        "bob": bob,
        "reviewer": user_with_role("reviewer"),
        "manager": user_with_role("manager"),
        "mine": ClientFactory(email="ann@example.com", stylist=alice),
        "theirs": theirs,
        "their_order": OrderFactory(client=theirs, amount=Decimal("90.00")),
    }


@pytest.mark.parametrize("role", ["alice", "reviewer"])
@pytest.mark.parametrize(
    ("model", "import_url", "confirm_url"),
    [(Client, CLIENT_IMPORT, CLIENT_CONFIRM), (Order, ORDER_IMPORT, ORDER_CONFIRM)],
)
def test_stylists_and_reviewers_cannot_import(
    client, book, role, model, import_url, confirm_url
):
    """The import page, the upload and the confirm are 403 for them; nothing changes."""
    client.force_login(book[role])
    content = (
        "email,first_name,stylist,stylist_notes\n"
        "ben@example.com,Ben,alice,Taken over.\n"
        if model is Client
        else f"{ORDER_HEADER}\nben@example.com,2024-03-01 12:00:00,kept,5,2,10.00\n"
    )

    assert client.get(import_url).status_code == 403
    assert upload(client, import_url, model, content).status_code == 403
    confirm = client.post(
        confirm_url,
        {
            "import_file_name": "anything.csv",
            "original_file_name": "data.csv",
            "format": "0",
            "resource": "0",
        },
    )
    assert confirm.status_code == 403
    book["theirs"].refresh_from_db()
    assert book["theirs"].stylist == book["bob"]
    assert book["theirs"].stylist_notes == "Allergic to wool."
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "shown"), [("alice", False), ("reviewer", False), ("manager", True)]
)
def test_import_button_only_for_managers(client, book, role, shown):
    """The client and order lists show the Import button to managers only."""
    client.force_login(book[role])
    for url in ("/admin/customers/client/", "/admin/customers/order/"):
        page = client.get(url).content.decode()
        assert ('class="import_link"' in page) is shown
        assert 'class="export_link"' in page


def test_export_needs_view_permission(client, book):
    """A staff user without a role cannot export; a stylist exports their book only."""
    nobody = user_with_role("plain")
    client.force_login(nobody)
    assert client.get(CLIENT_EXPORT).status_code == 403

    client.force_login(book["alice"])
    response = client.post(
        CLIENT_EXPORT,
        {
            "resource": "0",
            "format": csv_format_index(Client, "export"),
            "clientresource_email": "on",
        },
    )
    assert response.status_code == 200
    assert response.content.decode().split() == ["email", "ann@example.com"]


def import_as(resource_class, user, content: str):
    """Dry-run a CSV through a resource as ``user`` (what the admin does)."""
    dataset = CheckedCSV(encoding="utf-8").create_dataset(content)
    return resource_class().import_data(dataset, dry_run=True, user=user)


def test_resource_hides_other_stylists_clients(book):
    """Defence in depth: a stylist's rows for others' clients fail, show nothing."""
    result = import_as(
        ClientResource,
        book["alice"],
        "email,first_name,stylist_notes\n"
        "ann@example.com,Ann,Likes linen.\n"
        "ben@example.com,Ben,Taken over.\n"
        "new@example.com,New,Hello.\n",
    )

    assert result.error_messages == [
        "line 3: email: no client with this email in your book",
        "line 4: email: no client with this email in your book",
    ]
    refused = [row for row in result.rows if row.is_invalid()]
    assert all(row.diff is None and row.instance is None for row in refused)
    assert "Allergic to wool." not in repr(result.invalid_rows)
    assert [row.import_type for row in result.valid_rows()] == ["update"]


def test_resource_refuses_orders_outside_the_book(book):
    """A stylist cannot rewrite another's Fix or add one to another's client."""
    order = book["their_order"]
    result = import_as(
        OrderResource,
        book["alice"],
        "id,client_email,ordered_at,status,items_sent,items_kept,amount\n"
        f"{order.pk},ann@example.com,2024-03-01 12:00,kept,5,2,1.00\n"
        ",ben@example.com,2024-03-01 12:00,kept,5,2,1.00\n",
    )

    assert result.error_messages == [
        f"line 2: id: no Fix #{order.pk} in your book",
        "line 3: client_email: no client with email 'ben@example.com' in your book",
    ]


def test_resource_refuses_a_reviewer_who_only_reads(book):
    """A row that would change a client needs change permission."""
    result = import_as(
        ClientResource, book["reviewer"], "email,first_name\nben@example.com,Hacked\n"
    )

    assert result.error_messages == [
        "line 2: you may not change clients (your role lacks the change_client "
        "permission)"
    ]


def test_resource_needs_a_user():
    """Without a user an import refuses the file rather than trusting everyone."""
    dataset = CheckedCSV(encoding="utf-8").create_dataset("email\nx@example.com\n")
    result = ClientResource().import_data(dataset, dry_run=True)

    assert result.error_messages == ["an import needs a user; nothing was imported"]
    assert not result.rows


# -- Consent is never granted again by an import.


def test_import_cannot_regrant_consent(manager_client):
    """An unsubscribed or never-consenting client cannot be opted in by a file."""
    gone = ClientFactory(
        email="gone@example.com",
        marketing_consent=False,
        unsubscribed_at=dt.datetime(2024, 5, 6, 12, tzinfo=dt.UTC),
    )
    ClientFactory(email="never@example.com", marketing_consent=False)
    ClientFactory(email="stays@example.com", marketing_consent=True)
    content = (
        "email,first_name,marketing_consent\n"
        "gone@example.com,Gone,1\n"
        "never@example.com,Never,1\n"
        "stays@example.com,Stays,1\n"
        "new@example.com,New,1\n"
    )

    response = upload(manager_client, CLIENT_IMPORT, Client, content)

    assert "confirm_form" not in response.context
    text = page_text(response)
    assert (
        "line 2: marketing_consent: the client unsubscribed on 2024-05-06; only the "
        "client can opt in again" in text
    )
    assert "line 3: marketing_consent: the client has not opted in" in text
    assert "line 4:" not in text
    assert "line 5:" not in text
    gone.refresh_from_db()
    assert gone.marketing_consent is False


def test_import_may_revoke_consent_and_create_consenting_clients(manager_client):
    """Withdrawing consent (1 -> 0) is fine; a new client may come with consent."""
    ClientFactory(email="leaving@example.com", marketing_consent=True)
    content = (
        "email,first_name,marketing_consent\n"
        "leaving@example.com,Lea,0\n"
        "new@example.com,Neil,1\n"
    )

    preview = upload(manager_client, CLIENT_IMPORT, Client, content)
    manager_client.post(CLIENT_CONFIRM, dict(preview.context["confirm_form"].initial))

    assert Client.objects.get(email="leaving@example.com").marketing_consent is False
    assert Client.objects.get(email="new@example.com").marketing_consent is True


def test_unsubscribed_at_is_not_importable(manager_client):
    """A file with an unsubscribed_at column is refused, naming the column."""
    content = "email,first_name,unsubscribed_at\nada@example.com,Ada,\n"

    response = upload(manager_client, CLIENT_IMPORT, Client, content)

    assert "confirm_form" not in response.context
    assert "the column 'unsubscribed_at' is not importable" in page_text(response)
    assert not Client.objects.exists()


# -- Rough edges: duplicates, idempotent orders, blank external ids, words.


def test_duplicate_emails_refuse_the_file_naming_both_lines(manager_client):
    """Two rows for one email are refused, not merged with the last row winning."""
    content = (
        "email,first_name\na@b.com,First\nother@example.com,Other\n\nA@B.com ,Second\n"
    )

    response = upload(manager_client, CLIENT_IMPORT, Client, content)

    assert "confirm_form" not in response.context
    assert "line 5: email a@b.com also on line 2" in page_text(response)
    assert not Client.objects.exists()


ORDERS_NO_ID = f"""{ORDER_HEADER}
buyer@example.com,2024-03-01 12:00:00,kept,5,2,120.00
buyer@example.com,2024-03-01 12:00:00,kept,5,2,120.00
buyer@example.com,2024-03-02 12:00:00,returned,5,0,0
"""


def test_uploading_the_same_orders_twice_adds_nothing(manager_client):
    """A second upload of a file without ids finds its Fixes: all rows unchanged."""
    ClientFactory(email="buyer@example.com")
    first = upload(manager_client, ORDER_IMPORT, Order, ORDERS_NO_ID)
    manager_client.post(ORDER_CONFIRM, dict(first.context["confirm_form"].initial))
    assert Order.objects.count() == 3

    again = upload(manager_client, ORDER_IMPORT, Order, ORDERS_NO_ID)

    result = again.context["result"]
    assert [row.import_type for row in result.valid_rows()] == ["skip"] * 3
    manager_client.post(ORDER_CONFIRM, dict(again.context["confirm_form"].initial))
    assert Order.objects.count() == 3
    assert Order.objects.filter(import_key__startswith="csv:").count() == 3


def test_orders_with_an_id_update_that_fix(manager_client):
    """An exported file edited and uploaded again updates the Fixes by id."""
    order = OrderFactory(client=ClientFactory(email="buyer@example.com"))
    content = f"id,client_email,amount,rating\n{order.pk},buyer@example.com,99.50,5\n"

    preview = upload(manager_client, ORDER_IMPORT, Order, content)
    assert [r.import_type for r in preview.context["result"].valid_rows()] == ["update"]
    manager_client.post(ORDER_CONFIRM, dict(preview.context["confirm_form"].initial))

    order.refresh_from_db()
    assert (order.amount, order.rating) == (Decimal("99.50"), 5)
    assert Order.objects.count() == 1


def test_unknown_order_id_is_refused_not_created(manager_client):
    """An id that names no Fix is an error, not a new Fix with that primary key."""
    ClientFactory(email="buyer@example.com")
    content = f"id,{ORDER_HEADER}\n987654,buyer@example.com,2024-03-01,kept,5,2,1\n"

    response = upload(manager_client, ORDER_IMPORT, Order, content)

    assert "line 2: id: no Fix #987654 in your book" in page_text(response)


def test_blank_external_ids_are_stored_as_null(manager_client):
    """Several clients without an external id import; none is stored as ''."""
    content = (
        "email,first_name,external_id\none@example.com,One,\ntwo@example.com,Two,\n"
    )
    ClientFactory(email="old@example.com", external_id=None)

    preview = upload(manager_client, CLIENT_IMPORT, Client, content)
    assert preview.context["result"].error_messages == []
    manager_client.post(CLIENT_CONFIRM, dict(preview.context["confirm_form"].initial))

    assert Client.objects.filter(external_id__isnull=True).count() == 3
    assert not Client.objects.filter(external_id="").exists()


def test_model_save_stores_a_blank_external_id_as_null():
    """Whatever the way in (shell, form, import), '' is saved as NULL."""
    first = ClientFactory(external_id="")
    second = ClientFactory(external_id="  ")

    assert first.external_id is None
    assert second.external_id is None


@pytest.mark.parametrize(
    ("model", "content", "expected"),
    [
        (
            Order,
            f"{ORDER_HEADER}\nbuyer@example.com,2024-03-01 12:00,kept,5,2,120\n"
            "buyer@example.com,2024-03-02 12:00,kept,5,2,lots\n",
            "line 3: amount: 'lots' is not a number",
        ),
        (
            Order,
            f"{ORDER_HEADER}\nbuyer@example.com,2024-03-01 12:00,kept,5,2,1_000\n",
            "line 2: amount: '1_000' is not a number",
        ),
        (
            Order,
            f"{ORDER_HEADER}\nbuyer@example.com,2024-03-01 12:00,kept,five,2,1\n",
            "line 2: items_sent: 'five' is not a whole number",
        ),
        (
            Order,
            f"{ORDER_HEADER}\nnobody@example.com,2024-03-01 12:00,kept,5,2,1\n",
            "line 2: client_email: no client with email 'nobody@example.com' in "
            "your book",
        ),
        (
            Order,
            f"{ORDER_HEADER}\nbuyer@example.com,March 1st,kept,5,2,1\n",
            "line 2: ordered_at: 'March 1st' is not a date and time",
        ),
        (
            Client,
            "email,first_name,stylist\nok@example.com,Ok,\n"
            "a@example.com,A,\nz@example.com,Zed,zed\n",
            "line 4: stylist: no stylist with username 'zed'",
        ),
        (
            Client,
            "email,first_name,marketing_consent\nm@example.com,M,maybe\n",
            "line 2: marketing_consent: 'maybe' is not 1 or 0",
        ),
        (
            Client,
            "email,first_name,city\na@example.com,A,Paris\nb@example.com,B,Rome\n"
            "c@example.com,C,Oslo\nd@example.com,D,Lima\n"
            "e@example.com,E,Lyon,France\n",
            "line 6: has 4 cells, the header has 3",
        ),
        (
            Client,
            "first_name,city\nAda,Paris\n",
            "the file has no 'email' column (columns: first_name, city)",
        ),
        (
            Client,
            "email,first_name,favourite_colour\na@example.com,A,red\n",
            "the file has column(s) this import does not know: favourite_colour",
        ),
    ],
)
def test_errors_name_the_line_and_field_in_words(
    manager_client, model, content, expected
):
    """Every refusal reads as words with its line and field; no traceback, no 500."""
    ClientFactory(email="buyer@example.com")
    url = CLIENT_IMPORT if model is Client else ORDER_IMPORT

    response = upload(manager_client, url, model, content)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    text = page_text(response)
    assert expected in text
    assert "Traceback" not in text
    assert "site-packages" not in text
    assert "<class" not in text
    assert model.objects.count() == (1 if model is Client else 0)


def test_a_file_that_is_not_utf8_is_refused_in_words(manager_client):
    """A latin-1 file gets a sentence saying how to re-save it, not an exception."""
    content = "email,first_name,city\nzoe@example.com,Zoë,Köln\n".encode("latin-1")
    response = manager_client.post(
        CLIENT_IMPORT,
        {
            "resource": "0",
            "format": csv_format_index(Client),
            "import_file": SimpleUploadedFile("latin.csv", content, "text/csv"),
        },
    )

    assert response.status_code == 200
    assert "line 2: the file is not UTF-8" in page_text(response)
    assert not Client.objects.filter(email="zoe@example.com").exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1989-12-31"])
def test_dates_outside_the_business_are_refused(manager_client, day):
    """An order or signup dated year 1, year 9999 or before the business is refused."""
    ClientFactory(email="buyer@example.com")
    orders = f"{ORDER_HEADER}\nbuyer@example.com,{day} 12:00:00,kept,5,2,10\n"
    clients = f"email,first_name,signup_date\nnew@example.com,New,{day}\n"

    order_page = page_text(upload(manager_client, ORDER_IMPORT, Order, orders))
    client_page = page_text(upload(manager_client, CLIENT_IMPORT, Client, clients))

    assert f"line 2: ordered_at: Order date {day}" in order_page
    assert f"line 2: signup_date: Signup date {day}" in client_page or (
        f"line 2: signup_date: The date {day}" in client_page
    )
    assert not Order.objects.exists()
    assert not Client.objects.filter(email="new@example.com").exists()


def test_confirming_twice_is_not_a_500(manager_client):
    """A second click on Confirm finds the stored file gone: a message, no 500."""
    StylistFactory(username="stylist-a")
    preview = upload(manager_client, CLIENT_IMPORT, Client, GOOD_CLIENTS)
    confirm = dict(preview.context["confirm_form"].initial)
    manager_client.post(CLIENT_CONFIRM, confirm)

    again = manager_client.post(CLIENT_CONFIRM, confirm, follow=True)

    assert again.status_code == 200
    assert "no longer available" in page_text(again)
    assert Client.objects.count() == 2


def test_the_preview_keeps_the_upload_in_default_storage_for_the_confirm(
    manager_client, tmp_path, monkeypatch
):
    """On Lambda the confirm may reach another instance: the upload waits in
    default storage (S3 in production), not in this instance's temp folder."""
    StylistFactory(username="stylist-a")
    preview = upload(manager_client, CLIENT_IMPORT, Client, GOOD_CLIENTS)
    confirm = dict(preview.context["confirm_form"].initial)
    stored = f"imports/confirm/{confirm['import_file_name']}"
    assert default_storage.exists(stored)
    # Another instance: an empty temp folder of its own.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    response = manager_client.post(CLIENT_CONFIRM, confirm)

    assert response.status_code == 302
    assert Client.objects.count() == 2
    assert not default_storage.exists(stored)
