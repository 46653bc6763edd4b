from django.conf import settings
from django.db import migrations

NAME = "Send dispatcher"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(
        every=settings.SEND_DISPATCH_INTERVAL_MINUTES, period="minutes"
    )
    task_model.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "emails.dispatch_sends",
            "interval": interval,
            "enabled": True,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=NAME
    ).delete()


class Migration(migrations.Migration):
    """Enqueue the approved emails that are due every few minutes (Celery beat).

    On Lambda the same dispatcher runs from a Zappa scheduled event instead
    (``stitchengage.zappa_events.send_dispatch``).
    """

    dependencies = [
        ("emails", "0003_send_after_dispatched_at"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
