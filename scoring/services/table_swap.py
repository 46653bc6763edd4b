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
from django.db.models import Model

from scoring import sql
from stitchengage.sql import table


@dataclass(frozen=True)
class _Definition:
    name: str
    definition: str  # pg_get_constraintdef or pg_get_indexdef
    is_constraint: bool


def _temp_name(name: str) -> str:
    return "swap_" + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:20]


def table_swap_begin(cursor: CursorWrapper, model: type[Model]) -> str:
    """Create an empty copy of the model's table to fill; return its quoted name."""
    cursor.execute(sql.REFERENCING_KEYS_SQL, [table(model)])
    if cursor.fetchone()[0]:
        raise ValueError(
            f"{table(model)} is referenced by foreign keys; it cannot be swapped"
        )
    for statement in sql.swap_fresh_create_sql(model):
        cursor.execute(statement)
    return sql.swap_fresh_table(model)


def _definitions(cursor: CursorWrapper, model: type[Model]) -> list[_Definition]:
    """Primary key, unique and foreign key constraints, then the other indexes."""
    cursor.execute(sql.KEYS_SQL, [table(model)])
    found = [_Definition(name, text, True) for name, text in cursor.fetchall()]
    cursor.execute(sql.INDEXES_SQL, [table(model)])
    found += [_Definition(name, text, False) for name, text in cursor.fetchall()]
    return found


def table_swap_finish(cursor: CursorWrapper, model: type[Model], fresh: str) -> None:
    """Give ``fresh`` the keys and indexes of the model's table, then swap it in.

    Call inside the transaction that filled ``fresh``; nothing is visible to
    other sessions until it commits, and a rollback leaves the old table.
    """
    definitions = _definitions(cursor, model)
    for item in definitions:
        temp = _temp_name(item.name)
        if item.is_constraint:
            cursor.execute(
                sql.constraint_add_sql(on=fresh, name=temp, definition=item.definition)
            )
        else:
            cursor.execute(sql.index_create_sql(item.definition, name=temp, on=fresh))
    for statement in sql.swap_place_sql(model):
        cursor.execute(statement)
    for item in definitions:
        temp = _temp_name(item.name)
        if item.is_constraint:
            cursor.execute(sql.constraint_rename_sql(model, temp, item.name))
        else:
            cursor.execute(sql.index_rename_sql(temp, item.name))
    # A fresh table has no statistics; plan the next admin query on real ones.
    cursor.execute(sql.analyze_sql(model))
