"""The email state machine."""

from __future__ import annotations

import pytest

from emails.models import EmailStatus, EmailTransition, ReengagementEmail
from emails.services.transitions import IllegalTransition, email_transition
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db


def _email() -> ReengagementEmail:
    return ReengagementEmailFactory()


def test_allowed_transition_updates_status_and_records_it():
    """A legal move saves the new status and fields and leaves a transition row."""
    email = _email()
    email_transition(email=email, to=EmailStatus.DRAFTING, note="claimed", attempts=1)
    email.refresh_from_db()
    assert email.status == EmailStatus.DRAFTING
    assert email.attempts == 1
    (transition,) = EmailTransition.objects.filter(email=email)
    assert (transition.from_status, transition.to_status) == ("queued", "drafting")
    assert transition.note == "claimed"


def test_illegal_transition_is_refused():
    """A queued email cannot jump straight to sent."""
    email = _email()
    with pytest.raises(IllegalTransition, match="cannot go from queued to sent"):
        email_transition(email=email, to=EmailStatus.SENT)
    assert ReengagementEmail.objects.get().status == EmailStatus.QUEUED
    assert not EmailTransition.objects.exists()


def test_only_one_of_two_concurrent_movers_wins():
    """A stale copy of an email cannot move it again after another mover did."""
    email = _email()
    stale = ReengagementEmail.objects.get(pk=email.pk)
    email_transition(email=email, to=EmailStatus.DRAFTING)
    with pytest.raises(IllegalTransition, match="no longer queued"):
        email_transition(email=stale, to=EmailStatus.DRAFTING)
    assert EmailTransition.objects.count() == 1


def test_foreign_keys_json_and_times_are_stored_as_save_would():
    """A reviewer instance, an edit diff and timestamps land in their columns."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    reviewer = get_user_model().objects.create_user("rev", password="x" * 12)
    email = _email()
    email_transition(email=email, to=EmailStatus.DRAFTING)
    email_transition(email=email, to=EmailStatus.PENDING_REVIEW, subject="Old")
    reviewed_at = timezone.now()
    changes = {"subject": {"from": "Old", "to": "New “quoted”"}}
    email_transition(
        email=email,
        to=EmailStatus.APPROVED,
        actor=reviewer,
        changes=changes,
        reviewer=reviewer,
        reviewed_at=reviewed_at,
        subject="New “quoted”",
        edited=True,
    )
    stored = ReengagementEmail.objects.get(pk=email.pk)
    assert stored.reviewer == reviewer
    assert stored.reviewed_at == reviewed_at
    assert stored.updated_at == email.updated_at
    assert (stored.subject, stored.edited) == ("New “quoted”", True)
    last = EmailTransition.objects.filter(email=email).order_by("-id").first()
    assert (last.actor, last.changes) == (reviewer, changes)
    assert last.at == email.updated_at


def test_on_commit_runs_after_the_move_commits_and_not_when_it_loses(
    django_capture_on_commit_callbacks,
):
    """The move's event is published once it commits; a losing mover publishes none."""
    email = _email()
    stale = ReengagementEmail.objects.get(pk=email.pk)
    published = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email_transition(
            email=email, to=EmailStatus.DRAFTING, on_commit=lambda: published.append(1)
        )
        with pytest.raises(IllegalTransition):
            email_transition(
                email=stale,
                to=EmailStatus.DRAFTING,
                on_commit=lambda: published.append(2),
            )
    assert published == [1]
    assert len(callbacks) == 1


def test_an_unsaved_email_is_inserted_in_the_target_status_with_its_trail():
    """Drafting's "created already claimed" email: one row in drafting, one move."""
    email = ReengagementEmailFactory.build()
    email.client.save()
    email_transition(email=email, to=EmailStatus.DRAFTING, attempts=1)
    stored = ReengagementEmail.objects.get()
    assert (stored.pk, stored.status, stored.attempts) == (
        email.pk,
        EmailStatus.DRAFTING,
        1,
    )
    (transition,) = EmailTransition.objects.filter(email=stored)
    assert (transition.from_status, transition.to_status) == ("queued", "drafting")
    assert transition.at == stored.updated_at == email.updated_at
