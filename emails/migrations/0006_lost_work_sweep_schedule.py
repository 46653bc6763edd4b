from django.conf import settings
from django.db import migrations

NAME = "Lost-work sweep"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(
        every=settings.LOST_WORK_SWEEP_INTERVAL_MINUTES, period="minutes"
    )
    task_model.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "emails.sweep_lost_work",
            "interval": interval,
            "enabled": True,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=NAME
    ).delete()


class Migration(migrations.Migration):
    """Publish again the rescores and drafts whose on-commit publish was lost.

    On Lambda the same sweep runs from a Zappa scheduled event instead
    (``stitchengage.zappa_events.lost_work_sweep``).
    """

    dependencies = [
        ("emails", "0005_experiments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
