"""Tasks the SQS tests publish besides the project's own (registered on its app)."""

from __future__ import annotations

from stitchengage.celery import app


@app.task(bind=True, name="tests.aws.retry_once", queue="default", acks_late=True)
def retry_once_task(self, *, countdown: float) -> int:
    """Ask for one retry after ``countdown`` seconds, then succeed."""
    if self.request.retries == 0:
        raise self.retry(countdown=countdown)
    return self.request.retries


@app.task(name="tests.aws.fail", queue="default", acks_late=True)
def fail_task() -> None:
    """Fail every time, as a task with a bug would."""
    raise RuntimeError("this task always fails")


@app.task(name="tests.aws.succeed", queue="default", acks_late=True)
def succeed_task() -> str:
    return "ok"
