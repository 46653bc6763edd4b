"""The email state machine."""

from __future__ import annotations

import pytest

from emails.models import EmailStatus, EmailTransition, ReengagementEmail
from emails.services.transitions import IllegalTransition, email_transition
from tests.customers.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _email() -> ReengagementEmail:
    return ReengagementEmail.objects.create(
        client=ClientFactory(), idempotency_key="test:1"
    )


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
