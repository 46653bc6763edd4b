"""The one module that turns model metadata into SQL (``stitchengage/sql.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection

from customers.models import Client, Order
from stitchengage.sql import columns, identifier, insert_sql, row_converter, table
from tests.customers.factories import ClientFactory

REPO = Path(__file__).resolve().parents[2]
# Apps whose raw SQL is gathered (every app with raw SQL).
GATHERED = ("api", "customers", "emails", "scoring", "stitchengage")
METADATA_TO_SQL = re.compile(r"quote_name\(|_meta\.db_table")


def test_no_module_but_the_helper_turns_metadata_into_sql():
    """Table and column names become SQL text only in stitchengage/sql.py."""
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for app in GATHERED
        for path in sorted((REPO / app).rglob("*.py"))
        if "migrations" not in path.parts and path != REPO / "stitchengage/sql.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if METADATA_TO_SQL.search(line)
    ]
    assert offenders == []


def test_columns_are_quoted_and_relations_become_their_column():
    """A foreign key's name gives its ``_id`` column; an alias prefixes each."""
    q = connection.ops.quote_name
    assert columns(Order, ("client", "ordered_at"), "o") == (
        f"o.{q('client_id')}, o.{q('ordered_at')}"
    )
    assert table(Client) == q("customers_client")


def test_sibling_tables_and_names_no_model_holds_are_quoted():
    """A table swap's fresh copy and run-time names are quoted like model tables."""
    q = connection.ops.quote_name
    assert table(Client, suffix="__next") == q("customers_client__next")
    assert identifier("scoring_staging") == q("scoring_staging")


def test_insert_lists_every_given_field_with_a_parameter_each():
    """The INSERT names each field's column once and takes one %s per field."""
    fields = [Order._meta.get_field(n) for n in ("client", "amount")]
    q = connection.ops.quote_name
    assert insert_sql(Order, fields) == (
        f"INSERT INTO {q('customers_order')} ({q('client_id')}, {q('amount')}) "  # noqa: S608
        "VALUES (%s, %s)"
    )


@pytest.mark.django_db
def test_raw_rows_convert_to_what_the_orm_reads():
    """JSON, dates and datetimes read raw come back as the ORM gives them."""
    client = ClientFactory(preferred_styles=["denim", "boho"])
    names = ("preferred_styles", "signup_date", "created_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(Client, names)} FROM {table(Client)} WHERE id = %s",  # noqa: S608
            [client.pk],
        )
        raw = cursor.fetchone()
    expected = list(Client.objects.values_list(*names).get(pk=client.pk))
    assert row_converter(Client, names)(raw) == expected
