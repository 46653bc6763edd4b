"""Task queues are routed in one place, CELERY_TASK_ROUTES, by task name."""

from __future__ import annotations

import pytest
from django.conf import settings

from stitchengage.celery import app

# The queue each task's messages go to; queued messages and beat schedules in
# production name these tasks, so the names must not change either.
EXPECTED_QUEUES = {
    "api.clients_rescore_enqueue": "default",
    "customers.import_files_cleanup": "default",
    "customers.import_job_run": "default",
    "emails.dispatch_sends": "default",
    "emails.generate_draft": "llm",
    "emails.regenerate_draft": "llm",
    "emails.send_email": "send",
    "emails.sweep_lost_work": "default",
    "scoring.rescore_all": "default",
    "scoring.rescore_client": "default",
}


def _project_tasks() -> dict:
    app.loader.import_default_modules()
    return {
        name: task
        for name, task in app.tasks.items()
        if name.split(".", 1)[0] in {"api", "customers", "emails", "scoring"}
    }


def test_every_project_task_is_known_by_its_name():
    assert set(_project_tasks()) == set(EXPECTED_QUEUES)


@pytest.mark.parametrize("name", sorted(EXPECTED_QUEUES))
def test_the_queue_is_set_in_the_settings_not_on_the_task(name):
    """A queue on the decorator would override the route an operator reads."""
    assert getattr(_project_tasks()[name], "queue", None) is None
    routed = settings.CELERY_TASK_ROUTES.get(name, {}).get(
        "queue", settings.CELERY_TASK_DEFAULT_QUEUE
    )
    assert routed == EXPECTED_QUEUES[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_QUEUES))
def test_a_published_message_goes_to_its_queue(name):
    task = _project_tasks()[name]
    options = task._get_exec_options()
    route = app.amqp.router.route(options, name, (), {}, task_type=task)
    assert route["queue"].name == EXPECTED_QUEUES[name]
