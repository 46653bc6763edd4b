"""The api app's raw SQL: the batch upsert of orders and the token's use.

``bulk_create(update_conflicts=True)`` builds a model instance and prepares
every value of every row in Python, about half of a 500-event batch's time in
``make bench-api``; ``orders_upsert_sql`` sends one array per column instead
(``INSERT ... SELECT FROM unnest(...) ON CONFLICT (import_key) DO UPDATE``).
``token_use_sql`` counts a call and reads the token back in one statement
(``UPDATE ... RETURNING``), which an ORM ``update()`` cannot. PostgreSQL only;
identifiers come from ``stitchengage.sql``, values are parameters.
"""

from __future__ import annotations

import functools

from django.db import connection

from api.models import ApiToken
from customers.models import Order
from stitchengage.sql import column, columns, table


@functools.cache
def orders_upsert_sql(*, fields: tuple[str, ...]) -> str:
    """Return the upsert of orders by import key, updating ``fields``.

    Parameters: one array per column, ``client_id``, ``import_key``, then
    ``fields``, in that order.
    """
    names = ("client", "import_key", *fields)
    arrays = ", ".join(
        f"%s::{Order._meta.get_field(name).cast_db_type(connection)}[]"
        for name in names
    )
    updates = ", ".join(
        f"{column(Order, name)} = EXCLUDED.{column(Order, name)}"
        for name in names
        if name != "import_key"
    )
    return (
        f"INSERT INTO {table(Order)} ({columns(Order, names)}, "  # noqa: S608
        f"{column(Order, 'created_at')}) "
        f"SELECT *, now() FROM unnest({arrays}) "
        f"ON CONFLICT ({column(Order, 'import_key')}) DO UPDATE SET {updates}"
    )


@functools.cache
def token_use_sql() -> str:
    """Return the UPDATE counting a call of an active token, returning the token.

    Parameters: this minute's window (twice), the time used, the key hash.
    Returns id, source, scopes and the count of calls in this minute; every
    SET expression reads the row as it was, so the CASE sees the old window.
    """
    count, window = column(ApiToken, "rate_count"), column(ApiToken, "rate_window")
    return (
        f"UPDATE {table(ApiToken)} SET "  # noqa: S608
        f"{count} = CASE WHEN {window} = %s THEN {count} + 1 ELSE 1 END, "
        f"{window} = %s, {column(ApiToken, 'last_used_at')} = %s "
        f"WHERE {column(ApiToken, 'key_hash')} = %s "
        f"AND {column(ApiToken, 'revoked_at')} IS NULL "
        f"RETURNING {columns(ApiToken, ('id', 'source', 'scopes', 'rate_count'))}"
    )
