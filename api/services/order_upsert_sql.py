"""Raw SQL: upsert a batch of orders in one statement on PostgreSQL.

``bulk_create(update_conflicts=True)`` builds a model instance and prepares
every value of every row in Python, about half of a 500-event batch's time in
``make bench-api``; this sends one array per column instead
(``INSERT ... SELECT FROM unnest(...) ON CONFLICT (import_key) DO UPDATE``).
Table, column and type names come from ``_meta``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from customers.models import Order


def orders_upsert_sql(*, rows: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
    """Insert the rows, or update ``fields`` of the order with the same import key.

    Each row holds ``client_id``, ``import_key`` and every name in ``fields``.
    """
    meta = Order._meta
    names = ("client", "import_key", *fields)
    columns = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(field.column) for field in columns)
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in columns)
    updates = ", ".join(
        f"{quote(field.column)} = EXCLUDED.{quote(field.column)}"
        for field in columns
        if field.name != "import_key"
    )
    created = quote(meta.get_field("created_at").column)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({column_list}, {created}) "  # noqa: S608
        f"SELECT *, now() FROM unnest({arrays}) "
        f"ON CONFLICT ({quote(meta.get_field('import_key').column)}) "
        f"DO UPDATE SET {updates}"
    )
    keys = ["client_id", "import_key", *fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [[row[key] for row in rows] for key in keys])
