from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS client_first_name_trgm ON customers_client "
    "USING gin (UPPER(first_name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS client_last_name_trgm ON customers_client "
    "USING gin (UPPER(last_name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS client_email_upper_prefix ON customers_client "
    "(UPPER(email::text) text_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS client_first_name_trgm",
    "DROP INDEX IF EXISTS client_last_name_trgm",
    "DROP INDEX IF EXISTS client_email_upper_prefix",
]


def _run(statements):
    def run(apps, schema_editor):
        # Trigram indexes serve the admin's case-insensitive name search; they
        # exist only on PostgreSQL (the SQLite demo does without).
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_roles")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
