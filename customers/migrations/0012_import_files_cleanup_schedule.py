from django.conf import settings
from django.db import migrations

from stitchengage.beat_schedules import interval_task_create, interval_task_remove

NAME = "Import files cleanup"


def create_schedule(apps, schema_editor):
    interval_task_create(
        apps,
        name=NAME,
        task="customers.import_files_cleanup",
        minutes=settings.IMPORT_CLEANUP_INTERVAL_MINUTES,
    )


def remove_schedule(apps, schema_editor):
    interval_task_remove(apps, name=NAME)


class Migration(migrations.Migration):
    """Remove abandoned import previews and finished jobs' files from storage.

    On Lambda the same cleanup runs from a Zappa scheduled event instead
    (``stitchengage.zappa_events.import_files_cleanup``).
    """

    dependencies = [
        ("customers", "0011_client_order_summary"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
