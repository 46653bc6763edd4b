"""Name search by prefix: btree indexes on upper(name) instead of trigram GINs.

The admin searches names by their start (``^first_name``): ``upper(name) LIKE
'SMITH%'`` is a range scan of these indexes. The trigram indexes served a
contains search that at a million clients matched every "...smith..." row and
are no longer used. Built CONCURRENTLY: writes to the book go on meanwhile.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS client_first_name_upper_prefix "
    "ON customers_client (UPPER(first_name::text) text_pattern_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS client_last_name_upper_prefix "
    "ON customers_client (UPPER(last_name::text) text_pattern_ops)",
    "DROP INDEX CONCURRENTLY IF EXISTS client_first_name_trgm",
    "DROP INDEX CONCURRENTLY IF EXISTS client_last_name_trgm",
]
BACKWARD = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS client_first_name_trgm "
    "ON customers_client USING gin (UPPER(first_name::text) gin_trgm_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS client_last_name_trgm "
    "ON customers_client USING gin (UPPER(last_name::text) gin_trgm_ops)",
    "DROP INDEX CONCURRENTLY IF EXISTS client_first_name_upper_prefix",
    "DROP INDEX CONCURRENTLY IF EXISTS client_last_name_upper_prefix",
]


def _run(statements):
    def run(apps, schema_editor):
        # Expression indexes with an operator class: PostgreSQL only (the SQLite
        # demo does without).
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            if schema_editor.connection.in_atomic_block:
                # Migrated inside a transaction (a test's, or several migrations
                # unapplied together): CONCURRENTLY is refused there, and nothing
                # else writes meanwhile anyway.
                sql = sql.replace(" CONCURRENTLY", "")
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0009_import_job")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
