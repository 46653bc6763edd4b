from django.conf import settings
from django.db import migrations

NAME = "Import files cleanup"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(
        every=settings.IMPORT_CLEANUP_INTERVAL_MINUTES, period="minutes"
    )
    task_model.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "customers.import_files_cleanup",
            "interval": interval,
            "enabled": True,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=NAME
    ).delete()


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
