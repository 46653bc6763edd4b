"""The Celery application, in the layout of Celery's "First steps with Django"."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")

app = Celery("stitchengage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
