"""Rebuild a PostgreSQL table wholesale and swap it in for the live one.

Filling a fresh table and building its indexes once is far cheaper than updating
every row of a large table (each update writes a new row version and an entry
in every index). Readers keep the old table until the swap, which takes an
exclusive lock only for the drop and renames at the end of the transaction.

The new table gets the old one's columns, defaults, NOT NULL and CHECK
constraints (``LIKE``), then the same primary key, unique constraints, indexes
and foreign keys under the same names, so Django's migrations keep matching.
Only for tables that no other table references and whose key is not generated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db.backends.utils import CursorWrapper


@dataclass(frozen=True)
class _Definition:
    name: str
    sql: str  # a constraint definition, or CREATE INDEX with {name} and {table}
    is_constraint: bool


def _temp_name(name: str) -> str:
    return "swap_" + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:20]


def table_swap_begin(cursor: CursorWrapper, table: str) -> str:
    """Create an empty copy of ``table`` to fill; return its name."""
    cursor.execute(
        "SELECT count(*) FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid = %s::regclass",
        [table],
    )
    if cursor.fetchone()[0]:
        raise ValueError(f"{table} is referenced by foreign keys; it cannot be swapped")
    fresh = f"{table}__next"
    cursor.execute(f"DROP TABLE IF EXISTS {fresh}")
    cursor.execute(
        f"CREATE TABLE {fresh} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    return fresh


def _definitions(cursor: CursorWrapper, table: str) -> list[_Definition]:
    """Primary key, unique and foreign key constraints, then the other indexes."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
        "ORDER BY contype DESC, conname",
        [table],
    )
    found = [_Definition(name, sql, True) for name, sql in cursor.fetchall()]
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
        "  AND k.conrelid = i.indrelid) ORDER BY c.relname",
        [table],
    )
    for name, definition in cursor.fetchall():
        head, _, using = definition.partition(" USING ")
        create = (
            "CREATE UNIQUE INDEX"
            if head.startswith("CREATE UNIQUE")
            else ("CREATE INDEX")
        )
        found.append(
            _Definition(name, f"{create} {{name}} ON {{table}} USING {using}", False)
        )
    return found


def table_swap_finish(cursor: CursorWrapper, table: str, fresh: str) -> None:
    """Give ``fresh`` the keys and indexes of ``table``, then put it in its place.

    Call inside the transaction that filled ``fresh``; nothing is visible to
    other sessions until it commits, and a rollback leaves the old table.
    """
    definitions = _definitions(cursor, table)
    for item in definitions:
        temp = _temp_name(item.name)
        if item.is_constraint:
            cursor.execute(f"ALTER TABLE {fresh} ADD CONSTRAINT {temp} {item.sql}")
        else:
            cursor.execute(item.sql.format(name=temp, table=fresh))
    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"DROP TABLE {table}")
    cursor.execute(f"ALTER TABLE {fresh} RENAME TO {table}")
    for item in definitions:
        temp = _temp_name(item.name)
        if item.is_constraint:
            cursor.execute(
                f"ALTER TABLE {table} RENAME CONSTRAINT {temp} TO {item.name}"
            )
        else:
            cursor.execute(f"ALTER INDEX {temp} RENAME TO {item.name}")
    # A fresh table has no statistics; plan the next admin query on real ones.
    cursor.execute(f"ANALYZE {table}")
