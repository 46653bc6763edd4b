"""Data-migration steps that add or remove a django-celery-beat interval task.

Each schedule's migration names its task and interval and calls these with the
migration's historical ``apps``, so every schedule is created the same way.
"""

from __future__ import annotations


def interval_task_create(apps, *, name: str, task: str, minutes: int) -> None:
    """Create the periodic task ``name`` running ``task`` every ``minutes``."""
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=minutes, period="minutes")
    task_model.objects.get_or_create(
        name=name, defaults={"task": task, "interval": interval, "enabled": True}
    )


def interval_task_remove(apps, *, name: str) -> None:
    """Remove the periodic task ``name`` (the migration's reverse)."""
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=name
    ).delete()
