"""The customers app's raw SQL: the order summaries, and a user's access.

A user's roles and permissions (``user_access_sql``) are read on every admin
request: one plain statement costs 0.2 ms of CPU where the ORM's three queries
(or one ORM union) cost 2.7-3.4 ms (``customers.access``).

One set-based ``INSERT ... SELECT ... ON CONFLICT`` per refresh, grouping a
client's orders by local day and packing each day into a 48-byte record
(``services.order_summary.DAY_RECORD`` is its layout: keep the two in step).
PostgreSQL only (``int4send``, ``string_agg`` over bytea); SQLite keeps no
summary. Table names come from ``stitchengage.sql``; the columns are the
fields' own names.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from customers.models import ClientOrderSummary, Order
from stitchengage.sql import column, columns, table

_DAILY_SQL = """
SELECT client_id, {day} AS d, MAX(ordered_at) AS last_at,
       CAST(SUM(amount) AS DOUBLE PRECISION) AS amt, SUM(amount) AS amt_exact,
       COUNT(*) AS n, SUM(items_sent) AS sent, SUM(items_kept) AS kept,
       SUM(CASE WHEN status IN ('kept', 'returned') THEN items_sent END) AS s_sent,
       SUM(CASE WHEN status IN ('kept', 'returned') THEN items_kept END) AS s_kept,
       COALESCE(SUM(rating), 0) AS r_sum, COUNT(rating) AS r_n
FROM {orders}
WHERE status <> 'canceled' AND ordered_at >= %s {filters}
GROUP BY client_id, {day}
"""
# One DAY_RECORD, big-endian as PostgreSQL's *send() functions write them.
_RECORD_SQL = (
    "int4send(d::int4) || float8send(EXTRACT(EPOCH FROM last_at)::float8)"
    " || float8send(amt) || int4send(n::int4) || int4send(sent::int4)"
    " || int4send(kept::int4) || int4send(COALESCE(s_sent, -1)::int4)"
    " || int4send(COALESCE(s_kept, -1)::int4) || int4send(r_sum::int4)"
    " || int4send(r_n::int4)"
)
SUMMARY_COLUMNS = (
    "client_id",
    "order_days",
    "first_order_on",
    "last_order_on",
    "last_ordered_at",
    "amount_total",
    "items_sent",
    "items_kept",
    "rating_sum",
    "rating_count",
    "days",
)
_ROWS_SQL = """
SELECT client_id, COUNT(*), DATE '1970-01-01' + MIN(d), DATE '1970-01-01' + MAX(d),
       MAX(last_at), SUM(amt_exact), SUM(sent), SUM(kept), SUM(r_sum), SUM(r_n),
       string_agg({record}, ''::bytea ORDER BY d)
FROM ({daily}) AS daily
GROUP BY client_id
"""


def _day_sql() -> str:
    tz = settings.TIME_ZONE.replace("'", "")
    return f"((ordered_at AT TIME ZONE '{tz}')::date - DATE '1970-01-01')"


def summary_rows_sql(*, filters: str = "") -> str:
    """Return SELECT of summary rows (``SUMMARY_COLUMNS``) from the orders, by client.

    Parameters: the first countable instant, then those of ``filters``.
    """
    daily = _DAILY_SQL.format(day=_day_sql(), orders=table(Order), filters=filters)
    return _ROWS_SQL.format(record=_RECORD_SQL, daily=daily)


def summary_upsert_sql(*, filters: str = "") -> str:
    """Return the upsert of the summary rows of the orders ``filters`` selects.

    Parameters: those of ``summary_rows_sql``.
    """
    columns = ", ".join(SUMMARY_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in SUMMARY_COLUMNS[1:])
    return (
        f"INSERT INTO {table(ClientOrderSummary)} ({columns}) "
        f"{summary_rows_sql(filters=filters)} "
        f"ON CONFLICT (client_id) DO UPDATE SET {updates}"
    )


def summaries_orphaned_delete_sql() -> str:
    """Return the DELETE of these clients' rows left with no countable Fix.

    Parameters: the client ids (an array), the first countable instant.
    """
    return (
        f"DELETE FROM {table(ClientOrderSummary)} s "  # noqa: S608
        "WHERE s.client_id = ANY(%s) "
        f"AND NOT EXISTS (SELECT 1 FROM {table(Order)} o "
        "WHERE o.client_id = s.client_id AND o.status <> 'canceled' "
        "AND o.ordered_at >= %s)"
    )


def summaries_lock_and_clear_sql() -> tuple[str, str]:
    """Return the EXCLUSIVE lock of the summary table and the DELETE of every row.

    DELETE, not TRUNCATE: a caller's transaction may have deferred FK checks
    pending, which TRUNCATE refuses.
    """
    name = table(ClientOrderSummary)
    return f"LOCK TABLE {name} IN EXCLUSIVE MODE", f"DELETE FROM {name}"  # noqa: S608


@functools.cache
def user_access_sql() -> str:
    """Return the statement of a user's (kind, name) rows; three ``%s`` = user id.

    Kinds: ``role`` (group name), ``user`` and ``group`` ("app_label.codename"
    of the user's own and their groups' permissions). ``||`` works on
    PostgreSQL and SQLite alike.
    """
    user = get_user_model()
    memberships = user.groups.through
    own = user.user_permissions.through
    granted = Group.permissions.through
    member, group_of = column(memberships, "user"), column(memberships, "group")
    perm_id = column(Permission, "id")
    app_label, codename = (
        column(ContentType, "app_label"),
        column(Permission, "codename"),
    )
    codename = f"ct.{app_label} || '.' || p.{codename}"
    permission = (
        f"FROM {table(Permission)} p JOIN {table(ContentType)} ct "
        f"ON ct.{column(ContentType, 'id')} = p.{column(Permission, 'content_type')}"
    )
    return (
        f"SELECT 'role', g.{column(Group, 'name')} FROM {table(Group)} g "  # noqa: S608 - names from _meta
        f"JOIN {table(memberships)} m ON m.{group_of} = g.{column(Group, 'id')} "
        f"WHERE m.{member} = %s "
        f"UNION ALL SELECT 'user', {codename} {permission} "
        f"JOIN {table(own)} o ON o.{column(own, 'permission')} = p.{perm_id} "
        f"WHERE o.{column(own, 'user')} = %s "
        f"UNION ALL SELECT 'group', {codename} {permission} "
        f"JOIN {table(granted)} gp ON gp.{column(granted, 'permission')} = p.{perm_id} "
        f"JOIN {table(memberships)} m ON m.{group_of} = gp.{column(granted, 'group')} "
        f"WHERE m.{member} = %s"
    )


@functools.cache
def user_row_sql() -> tuple[str, tuple[str, ...]]:
    """Return the read of one user's row by id, and its fields' attnames in order."""
    user = get_user_model()
    names = tuple(f.attname for f in user._meta.concrete_fields)
    return (
        f"SELECT {columns(user, names)} FROM {table(user)} "  # noqa: S608 - names from _meta
        f"WHERE {column(user, user._meta.pk.name)} = %s",
        names,
    )
