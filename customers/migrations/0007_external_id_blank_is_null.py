"""A blank external id is NULL: turn existing '' into NULL, then forbid ''.

'' counts as a value for the unique constraint, so only one client could be
without an external id; NULL does not. Also index Lower(external_id), which
import_orders uses to find customer ids that differ only in case.
"""

import django.db.models.functions.text
from django.db import migrations, models


def blank_external_ids_to_null(apps, schema_editor):
    Client = apps.get_model("customers", "Client")
    Client.objects.filter(external_id="").update(external_id=None)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_signup_date_bounds'),
    ]

    operations = [
        migrations.RunPython(blank_external_ids_to_null, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='client',
            constraint=models.CheckConstraint(condition=models.Q(('external_id__isnull', True), models.Q(('external_id', ''), _negated=True), _connector='OR'), name='client_external_id_not_blank', violation_error_message='A blank external id is stored as none.'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(django.db.models.functions.text.Lower('external_id'), name='client_external_id_ci'),
        ),
    ]
