"""Model metadata to SQL: the one place a table or column name becomes SQL text.

Raw SQL stays only where a benchmark showed the ORM's cost mattered, and each
app keeps those statements in its own ``sql.py`` (``emails/sql.py``,
``customers/sql.py``, ``api/sql.py``, ``scoring/sql.py``; this module holds
the project's own), written with these helpers: identifiers come from
``_meta`` (or, for names no model holds, ``identifier``) and are quoted here,
values are always parameters. Rows read back go through Django's own
converters (``row_converter``), so they come out as the ORM would give them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

from django.db import connection as default_connection
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet


def table(
    model: type[models.Model],
    connection: BaseDatabaseWrapper = default_connection,
    *,
    suffix: str = "",
) -> str:
    """Return the model's table name, quoted; ``suffix`` names a sibling table.

    The sibling is the fresh copy a table swap fills (``scoring.sql``).
    """
    return connection.ops.quote_name(model._meta.db_table + suffix)


def identifier(name: str, connection: BaseDatabaseWrapper = default_connection) -> str:
    """Return a name that no model holds (a temp table, a constraint), quoted."""
    return connection.ops.quote_name(name)


def column(
    model: type[models.Model],
    name: str,
    connection: BaseDatabaseWrapper = default_connection,
) -> str:
    """Return the quoted column of the field ``name`` (``client`` -> client_id)."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def columns(
    model: type[models.Model],
    names: Iterable[str],
    alias: str | None = None,
    connection: BaseDatabaseWrapper = default_connection,
) -> str:
    """Return the quoted columns of ``names``, comma-separated, for a SELECT list."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{column(model, n, connection)}" for n in names)


def insert_sql(
    model: type[models.Model],
    fields: Sequence[models.Field],
    connection: BaseDatabaseWrapper = default_connection,
) -> str:
    """Return ``INSERT INTO`` the model's table for ``fields``, one %s per field."""
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table(model, connection)} ({names}) VALUES ({marks})"  # noqa: S608


def row_converter(
    model: type[models.Model],
    names: tuple[str, ...],
    connection: BaseDatabaseWrapper = default_connection,
) -> Callable[[Sequence[object]], list[object]]:
    """Return a function converting raw rows of ``names`` as the ORM would.

    JSON text to lists, dates and aware datetimes on SQLite, ...: Django's own
    converters, looked up once per query rather than once per value.
    """
    steps = []
    for name in names:
        field = model._meta.get_field(name)
        col = field.get_col(model._meta.db_table)
        steps.append(
            (
                col,
                connection.ops.get_db_converters(col)
                + field.get_db_converters(connection),
            )
        )

    def convert(row: Sequence[object]) -> list[object]:
        values = []
        for (col, converters), value in zip(steps, row, strict=True):
            for step in converters:
                value = step(value, col, connection)
            values.append(value)
        return values

    return convert


def table_row_estimate(queryset: QuerySet) -> int | None:
    """Return the planner's row estimate for the queryset's table, or None.

    None on other databases and for a table never analysed (reltuples -1).
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [table(queryset.model, connection)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def distinct_values_by_index(model: type[models.Model], field: models.Field) -> list:
    """Return a column's distinct values, one index probe per value.

    ``SELECT DISTINCT`` reads every row (220 ms over 220,000 emails for two
    prompt variants); this walks the column's index from value to value, as
    PostgreSQL has no skip scan of its own. The column needs an index of which
    it is the first column.
    """
    connection = connections[router.db_for_read(model)]
    name = table(model, connection)
    col = column(model, field.name, connection)
    sql = (
        f"WITH RECURSIVE walk(value) AS (SELECT MIN({col}) FROM {name} "  # noqa: S608 - names from _meta
        f"UNION ALL SELECT (SELECT MIN({col}) FROM {name} WHERE {col} > "
        "walk.value) FROM walk WHERE walk.value IS NOT NULL) "
        "SELECT value FROM walk WHERE value IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


@functools.cache
def session_data_sql() -> str:
    """Return the read of a live session's data; ``%s`` = key, then now (adapted)."""
    from django.contrib.sessions.models import Session

    return (
        f"SELECT {column(Session, 'session_data')} FROM {table(Session)} "  # noqa: S608 - names from _meta
        f"WHERE {column(Session, 'session_key')} = %s "
        f"AND {column(Session, 'expire_date')} > %s"
    )
