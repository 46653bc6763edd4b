from django.db import migrations


def sync_roles(apps, schema_editor):
    from customers.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    """Give the role groups the permissions of the emails and scoring models."""

    dependencies = [
        ("emails", "0001_initial"),
        ("scoring", "0001_initial"),
        ("customers", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
