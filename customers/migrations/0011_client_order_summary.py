"""ClientOrderSummary: one row per client, what scoring reads; backfilled here."""

import django.db.models.deletion
from django.db import migrations, models


def summaries_backfill(apps, schema_editor):
    # The same statement as ``score_clients --rebuild-summary`` (PostgreSQL only;
    # SQLite keeps no summary).
    from customers.services.order_summary import client_order_summaries_rebuild

    if schema_editor.connection.vendor == "postgresql":
        client_order_summaries_rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0010_name_prefix_search_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClientOrderSummary',
            fields=[
                ('client', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='order_summary', serialize=False, to='customers.client')),
                ('order_days', models.PositiveIntegerField()),
                ('first_order_on', models.DateField()),
                ('last_order_on', models.DateField()),
                ('last_ordered_at', models.DateTimeField()),
                ('amount_total', models.DecimalField(decimal_places=2, max_digits=14)),
                ('items_sent', models.PositiveIntegerField()),
                ('items_kept', models.PositiveIntegerField()),
                ('rating_sum', models.PositiveIntegerField()),
                ('rating_count', models.PositiveIntegerField()),
                ('days', models.BinaryField()),
            ],
            options={
                'verbose_name_plural': 'client order summaries',
            },
        ),
        migrations.RunPython(summaries_backfill, migrations.RunPython.noop),
    ]
