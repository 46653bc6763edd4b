"""The dispatcher: approved emails are published once, when due, inside the window."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from emails import tasks
from emails.models import EmailStatus, ReengagementEmail
from emails.services import dispatch
from emails.services.dispatch import (
    SEND_NOW_NOTE,
    email_dispatch_if_due,
    email_send_now,
    emails_dispatch,
)
from emails.services.transitions import IllegalTransition
from stitchengage.celery import app
from tests.customers.factories import ClientFactory, ReviewerFactory, StylistFactory
from tests.emails.factories import ReengagementEmailFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# Wednesday noon in Chicago: inside every test client's window.
NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=CHICAGO)


def approved(*, send_after: dt.datetime | None = None, **fields) -> ReengagementEmail:
    client = fields.pop("client", None) or ClientFactory()
    return ReengagementEmailFactory(
        client=client,
        status=fields.pop("status", EmailStatus.APPROVED),
        subject="A few pieces picked for you",
        body="Hi",
        send_after=NOON - dt.timedelta(minutes=1) if send_after is None else send_after,
        **fields,
    )


class Publishes:
    """Record the send task's publishes (the narrowest seam: its apply_async)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.refuse = False
        self._lock = threading.Lock()

    def __call__(self, args=None, kwargs=None, **options):
        if self.refuse:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Refused.")
        with self._lock:
            self.ids.append(args[0])


@pytest.fixture
def publishes(monkeypatch) -> Publishes:
    recorder = Publishes()
    monkeypatch.setattr(tasks.send_email_task, "apply_async", recorder)
    return recorder


@pytest.mark.django_db
def test_due_emails_are_published_and_a_second_run_publishes_nothing(publishes):
    due = approved()
    later = approved(send_after=NOON + dt.timedelta(hours=3))
    outcome = emails_dispatch(now=NOON)
    assert (outcome.enqueued, outcome.not_enqueued, outcome.rescheduled) == (1, 0, 0)
    assert publishes.ids == [due.pk]
    assert emails_dispatch(now=NOON + dt.timedelta(minutes=5)).enqueued == 0
    assert publishes.ids == [due.pk]
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.dispatched_at == NOON
    assert later.dispatched_at is None


@pytest.mark.django_db
def test_only_approved_emails_are_dispatched(publishes):
    approved(status=EmailStatus.SENDING)
    approved(status=EmailStatus.SENT)
    approved(send_after=None, status=EmailStatus.PENDING_REVIEW)
    assert emails_dispatch(now=NOON).enqueued == 0
    assert publishes.ids == []


@pytest.mark.django_db
def test_an_email_still_approved_long_after_its_publish_is_published_again(
    publishes, settings
):
    """A lost message, or sends whose retries ran out: the dispatcher tries again."""
    settings.SEND_REDISPATCH_AFTER_SECONDS = 3600
    email = approved(dispatched_at=NOON - dt.timedelta(minutes=30))
    assert emails_dispatch(now=NOON).enqueued == 0  # published half an hour ago
    email.dispatched_at = NOON - dt.timedelta(minutes=61)
    email.save(update_fields=["dispatched_at"])
    assert emails_dispatch(now=NOON).enqueued == 1
    assert publishes.ids == [email.pk]


@pytest.mark.django_db
def test_a_due_email_whose_window_closed_is_rescheduled_not_sent(publishes):
    """Due while the queue was down, the email waits for the next window."""
    email = approved(send_after=NOON)
    night = dt.datetime(2026, 6, 10, 23, 30, tzinfo=CHICAGO)
    outcome = emails_dispatch(now=night)
    assert (outcome.enqueued, outcome.rescheduled) == (0, 1)
    assert publishes.ids == []
    email.refresh_from_db()
    assert email.send_after.astimezone(CHICAGO).date() == dt.date(2026, 6, 11)
    assert 9 <= email.send_after.astimezone(CHICAGO).hour < 20
    assert email.dispatched_at is None


@pytest.mark.django_db
def test_a_failed_publish_is_left_for_the_next_run(publishes):
    email = approved()
    publishes.refuse = True
    outcome = emails_dispatch(now=NOON)
    assert (outcome.enqueued, outcome.not_enqueued) == (0, 1)
    email.refresh_from_db()
    assert email.dispatched_at is None
    publishes.refuse = False
    assert emails_dispatch(now=NOON + dt.timedelta(minutes=5)).enqueued == 1
    assert publishes.ids == [email.pk]


@pytest.mark.django_db
def test_approval_time_publish_claims_like_the_dispatcher(publishes):
    """Published at approval, the email is not published again by the next run."""
    email = approved()
    assert email_dispatch_if_due(email_id=email.pk, now=NOON)
    assert not email_dispatch_if_due(email_id=email.pk, now=NOON)
    assert emails_dispatch(now=NOON + dt.timedelta(minutes=5)).enqueued == 0
    assert publishes.ids == [email.pk]
    not_due = approved(send_after=NOON + dt.timedelta(hours=1))
    assert not email_dispatch_if_due(email_id=not_due.pk, now=NOON)


@pytest.mark.django_db
def test_send_now_publishes_at_once_and_records_who_asked(
    publishes, django_capture_on_commit_callbacks
):
    email = approved(send_after=NOON + dt.timedelta(days=1))
    reviewer = ReviewerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        email_send_now(email=email, actor=reviewer, now=NOON)
    assert publishes.ids == [email.pk]
    email.refresh_from_db()
    assert (email.send_after, email.dispatched_at) == (NOON, NOON)
    trail = email.transitions.get()
    assert (trail.actor, trail.note, trail.to_status) == (
        reviewer,
        SEND_NOW_NOTE,
        EmailStatus.APPROVED,
    )
    assert emails_dispatch(now=NOON + dt.timedelta(minutes=5)).enqueued == 0


@pytest.mark.django_db
def test_send_now_is_for_reviewers_and_approved_emails_only(publishes):
    email = approved(send_after=NOON + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        email_send_now(email=email, actor=StylistFactory(), now=NOON)
    sent = approved(status=EmailStatus.SENT)
    with pytest.raises(IllegalTransition, match="only an approved email"):
        email_send_now(email=sent, actor=ReviewerFactory(), now=NOON)
    assert publishes.ids == []


@pytest.mark.django_db
def test_send_now_with_the_broker_down_is_left_to_the_dispatcher(
    publishes, django_capture_on_commit_callbacks
):
    email = approved(send_after=NOON + dt.timedelta(days=1))
    publishes.refuse = True
    with django_capture_on_commit_callbacks(execute=True):
        email_send_now(email=email, actor=ReviewerFactory(), now=NOON)
    email.refresh_from_db()
    assert email.dispatched_at is None
    publishes.refuse = False
    assert emails_dispatch(now=NOON + dt.timedelta(minutes=5)).enqueued == 1
    assert publishes.ids == [email.pk]


def _in_thread(target, errors: list[BaseException]) -> threading.Thread:
    def run():
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_publish_each_due_email_once(publishes, monkeypatch):
    """Two dispatchers at once on PostgreSQL: every due email is published once.

    Each run holds its row locks a while (a slow window check per email), so the
    runs overlap: the second skips the rows the first has locked, and rows the
    first committed are stamped.
    """
    assert connection.vendor == "postgresql"
    ids = [approved().pk for _ in range(24)]
    contains = dispatch.send_window_contains

    def slow_contains(**kwargs):
        threading.Event().wait(0.01)
        return contains(**kwargs)

    monkeypatch.setattr(dispatch, "send_window_contains", slow_contains)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def dispatcher():
        start.wait()
        for minute in range(3):
            emails_dispatch(now=NOON + dt.timedelta(minutes=minute))

    threads = [_in_thread(dispatcher, errors) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(publishes.ids) == sorted(ids)


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_skips_rows_another_holds_without_waiting(publishes):
    """Rows locked by a running dispatcher are skipped, not waited for."""
    held, free = approved(), approved()
    locked, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def holder():
        with transaction.atomic():
            list(ReengagementEmail.objects.select_for_update().filter(pk=held.pk))
            locked.set()
            release.wait(timeout=30)
        done.set()

    thread = _in_thread(holder, errors)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        assert emails_dispatch(now=NOON).enqueued == 1
        assert publishes.ids == [free.pk]
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors
    assert emails_dispatch(now=NOON + dt.timedelta(minutes=5)).enqueued == 1
    assert publishes.ids == [free.pk, held.pk]


@pytest.mark.django_db
def test_the_zappa_event_and_the_beat_task_run_the_dispatcher(publishes, settings):
    """Lambda's scheduled event and Celery beat's task both dispatch."""
    from stitchengage.zappa_events import send_dispatch

    settings.SEND_WINDOW_START_HOUR, settings.SEND_WINDOW_END_HOUR = 0, 24
    first = approved(send_after=timezone.now() - dt.timedelta(minutes=1))
    assert send_dispatch({}, None)["enqueued"] == 1
    second = approved(send_after=timezone.now() - dt.timedelta(minutes=1))
    assert tasks.dispatch_sends_task()["enqueued"] == 1
    assert publishes.ids == [first.pk, second.pk]


@pytest.mark.django_db
def test_celery_beat_schedules_the_dispatcher(settings):
    """The data migration created the periodic task at the configured interval."""
    task = PeriodicTask.objects.get(name="Send dispatcher")
    assert task.task == "emails.dispatch_sends" in app.tasks
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (
        settings.SEND_DISPATCH_INTERVAL_MINUTES,
        "minutes",
    )
