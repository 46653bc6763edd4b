"""The scoring app's raw SQL: the book's aggregation and the bulk writes of a run.

A full run reads the whole order book set-based (aggregates streamed back as
COPY BINARY) and writes a million snapshots and current scores through a COPY
BINARY staging table and a table swap (``services.score_writes``,
``services.table_swap``); snapshot thinning deletes by an id array
(``services.snapshot_retention``). The services run these statements. Table
names come from ``stitchengage.sql`` (as do run-time names: the staging table,
the swap's constraints and indexes); columns are the fields' own names; values
are parameters.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import connection
from django.db.models import Model

from customers.models import Client, ClientOrderSummary, Order, RiskTier
from customers.services.order_summary import summary_rows_sql
from scoring.models import ClientScore, ScoreSnapshot
from scoring.pg_binary import PG_TYPES
from stitchengage.sql import identifier, table

STAGING = "scoring_staging"
_REASONS = "scoring_reasons"


# --- reads of the order book (selectors) ---------------------------------------

# Orders that count as a transaction: anything not canceled that was ordered
# by the scoring date (a scheduled Fix in the future is not a purchase yet) and
# not before the business started. Validation keeps such dates out, but a row
# written before it, or by a bulk path that skips it, would otherwise move a
# client's first day (and the fit's calibration start) to year 1.
# The first day's amount (repeat spend excludes it) comes from one MIN over a
# packed key, day * 10^8 + cents: the smallest key is the first day, its low digits
# that day's amount. Exact while a day's spend stays under $1,000,000 and avoids a
# window function, so both steps are plain aggregates. Every output column is a
# non-null bigint or double, so PostgreSQL can stream it as fixed-width binary.
PACK = 100_000_000
_AGGREGATE_SQL = """
WITH daily AS (
    SELECT client_id, {day} AS d,
           SUM(CAST(amount AS DOUBLE PRECISION)) AS amt,
           SUM(items_sent) AS sent, SUM(items_kept) AS kept,
           SUM(rating) AS rating_sum, COUNT(rating) AS rating_n,
           COUNT(*) AS n_orders, MAX(ordered_at) AS last_at
    FROM {orders}
    WHERE status <> 'canceled' AND ordered_at >= %s AND ordered_at <= %s
          {client_filter}
    GROUP BY client_id, {day}
)
SELECT CAST(client_id AS BIGINT), COUNT(*), CAST(MIN(d) AS BIGINT),
       CAST(MAX(d) AS BIGINT), CAST(SUM(amt) AS DOUBLE PRECISION),
       MIN(CAST(d AS BIGINT) * {pack} + CAST(ROUND(amt * 100) AS BIGINT)) %% {pack},
       CAST(SUM(sent) AS DOUBLE PRECISION), CAST(SUM(kept) AS DOUBLE PRECISION),
       CAST(COALESCE(SUM(rating_sum), 0) AS DOUBLE PRECISION),
       CAST(SUM(rating_n) AS DOUBLE PRECISION),
       CAST(SUM(n_orders) AS BIGINT), {epoch}
FROM daily
GROUP BY client_id
"""

# One row per client-day for the churn model's features (scoring.churn_features).
# Items count only once a Fix is settled (kept or returned); a shipped box has
# kept nothing yet. Every column comes out non-null (NaN for "unknown") so
# PostgreSQL can stream it as fixed-width binary.
_HISTORY_SQL = """
SELECT CAST(client_id AS BIGINT), CAST({day} AS BIGINT),
       CAST(SUM(amount) AS DOUBLE PRECISION),
       COALESCE(CAST(SUM(CASE WHEN status IN ('kept', 'returned')
                              THEN items_sent END) AS DOUBLE PRECISION), {nan}),
       COALESCE(CAST(SUM(CASE WHEN status IN ('kept', 'returned')
                              THEN items_kept END) AS DOUBLE PRECISION), {nan}),
       COALESCE(CAST(AVG(rating) AS DOUBLE PRECISION), {nan})
FROM {orders}
WHERE status <> 'canceled' AND ordered_at >= %s AND ordered_at <= %s
      {client_filter}
GROUP BY client_id, {day}
"""

# No ORDER BY in the aggregates: the three consume the same scan in the same
# row order, which is all the decoding needs; numpy sorts by client after.
# (Sorting the records' blob in PostgreSQL spilled to disk at 16 MB work_mem.)
_BLOBS_SQL = (
    "SELECT string_agg(int8send(client_id), ''::bytea), "
    "string_agg(int4send(octet_length(days)), ''::bytea), "
    "string_agg(days, ''::bytea) FROM "
)


def _day_sql() -> str:
    """Return SQL for an order's calendar day as days since 1970-01-01."""
    if connection.vendor == "postgresql":
        tz = settings.TIME_ZONE.replace("'", "")
        return f"((ordered_at AT TIME ZONE '{tz}')::date - DATE '1970-01-01')"
    return "CAST(julianday(date(ordered_at)) - 2440587.5 AS INTEGER)"


def _epoch_sql() -> str:
    """Return SQL for the latest order's instant as seconds since the epoch."""
    if connection.vendor == "postgresql":
        return "EXTRACT(EPOCH FROM MAX(last_at))::float8"
    return "(julianday(MAX(last_at)) - 2440587.5) * 86400.0"


def order_stats_sql(*, client_filter: str = "") -> str:
    """Return the per-client aggregation of countable orders.

    Parameters: the first countable instant, ``as_of``, then ``client_filter``'s.
    """
    return _AGGREGATE_SQL.format(
        day=_day_sql(),
        epoch=_epoch_sql(),
        client_filter=client_filter,
        pack=PACK,
        orders=table(Order),
    )


def order_history_sql(*, client_filter: str = "") -> str:
    """Return one row per client-day of countable orders (same parameters)."""
    # SQLite has no NaN literal: NULL, which numpy reads as NaN all the same.
    nan = (
        "CAST('NaN' AS DOUBLE PRECISION)"
        if connection.vendor == "postgresql"
        else "NULL"
    )
    return _HISTORY_SQL.format(
        day=_day_sql(), client_filter=client_filter, nan=nan, orders=table(Order)
    )


@functools.cache
def client_id_bounds_sql() -> str:
    """Return the lowest and highest client id."""
    return f"SELECT MIN(id), MAX(id) FROM {table(Client)}"  # noqa: S608


@functools.cache
def parallel_free_sql() -> tuple[str, str]:
    """Return the settings that make one process per UNION ALL branch cheap."""
    return ("SET LOCAL parallel_setup_cost = 0", "SET LOCAL parallel_tuple_cost = 0")


def copy_out_sql(query: str) -> str:
    """Return COPY of ``query``'s rows to the client as binary."""
    return f"COPY ({query}) TO STDOUT (FORMAT BINARY)"


@functools.cache
def book_part_sql() -> str:
    """Return the three blobs of the order summaries of one id range [%s, %s)."""
    return (
        f"{_BLOBS_SQL}{table(ClientOrderSummary)} "
        "WHERE client_id >= %s AND client_id < %s"
    )


def records_as_of_sql() -> str:
    """Return the three blobs of day records rebuilt from these clients' orders.

    Parameters: the first countable instant, the client ids, ``as_of``.
    """
    rows = summary_rows_sql(filters="AND client_id = ANY(%s) AND ordered_at <= %s")
    return (
        f"{_BLOBS_SQL}({rows}) AS rows_ "
        "(client_id, order_days, first_on, last_on, last_at, amount, sent, "
        "kept, r_sum, r_n, days)"
    )


# --- a full run's writes (services.score_writes) -----------------------------------


def memory_set_sql(amount: str) -> tuple[str, str]:
    """Return the settings raising this transaction's work and index memory."""
    return (
        f"SET LOCAL work_mem = '{amount}'",
        f"SET LOCAL maintenance_work_mem = '{amount}'",
    )


def staging_table_sql(dtypes: dict[str, str]) -> str:
    """Return CREATE TEMP TABLE of the staging columns, dropped on commit."""
    cols = ", ".join(f"{name} {PG_TYPES[dtype]}" for name, dtype in dtypes.items())
    return f"CREATE TEMP TABLE {identifier(STAGING)} ({cols}) ON COMMIT DROP"


@functools.cache
def staging_copy_sql() -> str:
    """Return COPY into the staging table from binary rows."""
    return f"COPY {identifier(STAGING)} FROM STDIN (FORMAT BINARY)"


def table_drop_sql(name: str) -> str:
    """Return DROP TABLE of a run-time table (staging, reasons)."""
    return f"DROP TABLE {identifier(name)}"


@functools.cache
def clients_lock_sql() -> str:
    """Return the lock that keeps clients from being deleted (reads go on)."""
    return f"LOCK TABLE {table(Client)} IN SHARE ROW EXCLUSIVE MODE"


def staged_values_sql(
    names: list[str], *, nullable: frozenset[str], money: dict[str, int]
) -> list[str]:
    """Return SQL expressions turning staging columns into snapshot values."""
    out = []
    for name in names:
        col = f"s.{name}"
        if name == "risk_tier":
            out.append(f"(%(tiers)s::text[])[{col} + 1]")
        elif name == "scored_by":
            out.append(f"(%(scored_by)s::text[])[{col} + 1]")
        elif name == "expected_next_order_in":
            out.append(f"CASE WHEN {col} >= 0 THEN %(day)s::date + {col} END")
        elif name in nullable:
            out.append(f"NULLIF({col}, 'NaN')")
        elif name in money:
            out.append(f"CAST({col} AS numeric({money[name]}, 2))")
        else:
            out.append(col)
    return out


def snapshots_append_sql(
    *, fresh: str, snapshot_fields: list[str], values: list[str], current: tuple
) -> str:
    """Return the one pass appending snapshots and filling the fresh scores table.

    Snapshots of staged clients that still exist, each with its previous tier
    from the current scores; the fresh table (``fresh``, quoted) gets the rows
    just inserted with their ids; the ids of those who moved into at_risk come
    back. Parameters (named): run, as_of, tiers, scored_by, day.
    """
    returned = ", ".join(["id", "client_id", "previous_tier", *current])
    return (
        f"WITH inserted AS (INSERT INTO {table(ScoreSnapshot)} (client_id, run_id, "  # noqa: S608 - names from _meta
        f"scored_at, previous_tier, churn_reasons, {', '.join(snapshot_fields)}) "
        "SELECT s.client_id, %(run)s, %(as_of)s, "
        f"COALESCE(c.risk_tier, '{RiskTier.UNSCORED}'), '[]'::jsonb, "
        f"{', '.join(values)} "
        f"FROM {identifier(STAGING)} AS s JOIN {table(Client)} AS k "
        "ON k.id = s.client_id "
        f"LEFT JOIN {table(ClientScore)} AS c ON c.client_id = s.client_id "
        f"RETURNING {returned}), "
        f"scores AS (INSERT INTO {fresh} (client_id, snapshot_id, "
        f"{', '.join(current)}, scored_at) "
        f"SELECT client_id, id, {', '.join(current)}, %(as_of)s FROM inserted) "
        "SELECT id FROM inserted "
        f"WHERE risk_tier = '{RiskTier.AT_RISK}' "
        f"AND previous_tier <> '{RiskTier.AT_RISK}'"
    )


@functools.cache
def reasons_table_sql() -> str:
    """Return CREATE TEMP TABLE of (client id, churn reasons), dropped on commit."""
    return (
        f"CREATE TEMP TABLE {identifier(_REASONS)} (client_id bigint, reasons jsonb) "
        "ON COMMIT DROP"
    )


@functools.cache
def reasons_copy_sql() -> str:
    """Return COPY into the reasons table from text rows."""
    return f"COPY {identifier(_REASONS)} FROM STDIN"


@functools.cache
def reasons_update_sql() -> str:
    """Return the UPDATE setting a run's snapshots' reasons (parameter: run id)."""
    return (
        f"UPDATE {table(ScoreSnapshot)} AS s SET churn_reasons = r.reasons "  # noqa: S608 - names from _meta
        f"FROM {identifier(_REASONS)} AS r "
        "WHERE s.run_id = %s AND s.client_id = r.client_id"
    )


def reasons_drop_sql() -> str:
    """Return DROP TABLE of the reasons table."""
    return table_drop_sql(_REASONS)


# --- the table swap (services.table_swap) ------------------------------------------

# Parameter of each catalogue read: the table's quoted name, as a regclass.
REFERENCING_KEYS_SQL = (
    "SELECT count(*) FROM pg_constraint "
    "WHERE contype = 'f' AND confrelid = %s::regclass"
)
KEYS_SQL = (
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
    "ORDER BY contype DESC, conname"
)
INDEXES_SQL = (
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid "
    "WHERE i.indrelid = %s::regclass AND NOT EXISTS ("
    "  SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
    "  AND k.conrelid = i.indrelid) ORDER BY c.relname"
)


def swap_fresh_create_sql(model: type[Model]) -> tuple[str, str]:
    """Return the statements making an empty copy of the model's table; its name."""
    return (
        f"DROP TABLE IF EXISTS {swap_fresh_table(model)}",
        f"CREATE TABLE {swap_fresh_table(model)} (LIKE {table(model)} "
        "INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
    )


def swap_fresh_table(model: type[Model]) -> str:
    """Return the quoted name of the fresh copy of the model's table."""
    return table(model, suffix="__next")


def index_create_sql(definition: str, *, name: str, on: str) -> str:
    """Return ``definition`` (pg_get_indexdef) as an index ``name`` on table ``on``.

    ``on`` is quoted already; ``name`` is not.
    """
    head, _, using = definition.partition(" USING ")
    create = (
        "CREATE UNIQUE INDEX" if head.startswith("CREATE UNIQUE") else ("CREATE INDEX")
    )
    return f"{create} {identifier(name)} ON {on} USING {using}"


def constraint_add_sql(*, on: str, name: str, definition: str) -> str:
    """Return ALTER TABLE ``on`` (quoted) ADD CONSTRAINT ``name`` ``definition``."""
    return f"ALTER TABLE {on} ADD CONSTRAINT {identifier(name)} {definition}"


def swap_place_sql(model: type[Model]) -> tuple[str, str, str]:
    """Return the lock, drop and rename putting the fresh table in the old's place."""
    old = table(model)
    return (
        f"LOCK TABLE {old} IN ACCESS EXCLUSIVE MODE",
        f"DROP TABLE {old}",
        f"ALTER TABLE {swap_fresh_table(model)} RENAME TO {old}",
    )


def constraint_rename_sql(model: type[Model], old: str, new: str) -> str:
    """Return the rename of a constraint of the model's table."""
    return (
        f"ALTER TABLE {table(model)} RENAME CONSTRAINT {identifier(old)} "
        f"TO {identifier(new)}"
    )


def index_rename_sql(old: str, new: str) -> str:
    """Return the rename of an index."""
    return f"ALTER INDEX {identifier(old)} RENAME TO {identifier(new)}"


def analyze_sql(model: type[Model]) -> str:
    """Return ANALYZE of the model's table."""
    return f"ANALYZE {table(model)}"


# --- snapshot thinning (services.snapshot_retention) -------------------------------

JIT_OFF_SQL = "SET LOCAL jit = off"


@functools.cache
def snapshots_delete_any_sql() -> str:
    """Return the DELETE of snapshots by one bigint array literal (PostgreSQL)."""
    return f"DELETE FROM {table(ScoreSnapshot)} WHERE id = ANY(%s::bigint[])"  # noqa: S608


def snapshots_delete_in_sql(count: int) -> str:
    """Return the DELETE of ``count`` snapshots by id, one parameter each."""
    marks = ", ".join(["%s"] * count)
    return f"DELETE FROM {table(ScoreSnapshot)} WHERE id IN ({marks})"  # noqa: S608
