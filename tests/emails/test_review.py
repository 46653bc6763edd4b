"""The reviewer's decisions as services: approve, edit, reject, regenerate, comment."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from emails import tasks
from emails.models import EmailComment, EmailStatus, ReengagementEmail, Suppression
from emails.services import review
from emails.services.review import (
    REGENERATED_NOTE,
    ReviewRefused,
    email_approve,
    email_comment_add,
    email_regenerate,
    email_reject,
    user_can_comment,
    user_can_review,
)
from emails.services.transitions import IllegalTransition, email_transition
from tests.customers.factories import (
    ClientFactory,
    ManagerFactory,
    ReviewerFactory,
    StylistFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.emails.conftest import snapshot_make
from tests.emails.factories import DRAFT_BODY, pending_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def sends(monkeypatch) -> list[int]:
    """Record the send task's enqueues instead of publishing them."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.send_email_task, "delay", calls.append)
    return calls


@pytest.fixture
def regenerations(monkeypatch) -> list[int]:
    """Record the regenerate task's enqueues instead of publishing them."""
    calls: list[int] = []
    monkeypatch.setattr(tasks.regenerate_draft_task, "delay", calls.append)
    return calls


def test_who_may_review_and_comment():
    """Reviewers, managers and superusers review; stylists only comment."""
    assert user_can_review(ReviewerFactory())
    assert user_can_review(ManagerFactory())
    assert user_can_review(SuperuserFactory())
    stylist = StylistFactory()
    assert not user_can_review(stylist)
    assert user_can_comment(stylist)
    assert user_can_comment(ReviewerFactory())
    nobody = UserFactory(is_staff=True)
    assert not user_can_review(nobody)
    assert not user_can_comment(nobody)


def test_approve_records_reviewer_and_enqueues_the_send_on_commit(
    django_capture_on_commit_callbacks, sends, monkeypatch
):
    """Approval moves to approved, records who and when, and sends after commit.

    Approved inside the client's best-hour slot, the send time is now, so the
    send is published on commit (otherwise the dispatcher publishes it later).
    """
    monkeypatch.setattr(review, "send_time_choose", lambda *, client, now: now)
    email = pending_email()
    reviewer = ReviewerFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_approve(email=email, reviewer=reviewer)
    email.refresh_from_db()
    assert email.status == EmailStatus.APPROVED
    assert email.send_after == email.reviewed_at
    assert email.reviewer == reviewer
    assert email.reviewed_at is not None
    assert email.edited is False
    last = email.transitions.last()
    assert (last.from_status, last.to_status, last.actor) == (
        EmailStatus.PENDING_REVIEW,
        EmailStatus.APPROVED,
        reviewer,
    )
    assert last.changes == {}
    assert len(callbacks) == 1
    assert sends == []  # nothing is sent before the commit
    callbacks[0]()
    assert sends == [email.pk]


def test_stylist_cannot_approve_even_their_own_clients_draft(
    django_capture_on_commit_callbacks,
):
    """Permission is checked by the service, not only by the screen."""
    stylist = StylistFactory()
    email = pending_email(ClientFactory(first_name="Ana", stylist=stylist))
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(PermissionDenied),
    ):
        email_approve(email=email, reviewer=stylist)
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
    assert callbacks == []


@pytest.mark.parametrize("block", ["unsubscribed", "no_consent", "suppression"])
def test_approving_a_client_who_cannot_be_contacted_suppresses_instead(
    block, django_capture_on_commit_callbacks
):
    """An unsubscribed, non-consenting or suppressed client is never approved."""
    client = ClientFactory(first_name="Ana")
    if block == "unsubscribed":
        client.unsubscribed_at = timezone.now()
    elif block == "no_consent":
        client.marketing_consent = False
    else:
        Suppression.objects.create(
            email=client.email.upper(), reason=Suppression.Reason.COMPLAINT
        )
    client.save()
    email = pending_email(client)
    with django_capture_on_commit_callbacks() as callbacks:
        result = email_approve(email=email, reviewer=ReviewerFactory())
    email.refresh_from_db()
    assert result.status == email.status == EmailStatus.SUPPRESSED
    assert email.reviewed_at is None
    assert email.transitions.last().note.startswith("not approved: ")
    assert callbacks == []


def test_approving_a_rejected_email_is_refused_with_a_clear_message():
    """Only a pending draft can be approved; the error says what state it is in."""
    email = pending_email()
    email_reject(email=email, reviewer=ReviewerFactory(), reason="Too generic")
    with pytest.raises(IllegalTransition, match="is rejected; only a draft pending"):
        email_approve(email=email, reviewer=ReviewerFactory())


def test_reject_needs_a_reason_and_keeps_it():
    """A blank reason is refused; a given one is stored on the email and the trail."""
    email = pending_email()
    reviewer = ReviewerFactory()
    with pytest.raises(ReviewRefused, match="reason"):
        email_reject(email=email, reviewer=reviewer, reason="   ")
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
    email_reject(email=email, reviewer=reviewer, reason=" Wrong stylist name ")
    email.refresh_from_db()
    assert email.status == EmailStatus.REJECTED
    assert email.rejection_reason == "Wrong stylist name"
    assert email.reviewer == reviewer
    assert email.transitions.last().note == "Wrong stylist name"


def test_edit_then_approve_records_what_changed(
    django_capture_on_commit_callbacks,
):
    """Edited fields are saved and recorded as from/to (with a diff for the body)."""
    email = pending_email()
    new_body = DRAFT_BODY.replace("Maya", "Warmly,\nMaya")
    with django_capture_on_commit_callbacks() as callbacks:
        email_approve(
            email=email,
            reviewer=ManagerFactory(),
            subject="Ana, a few pieces for you",
            preheader=email.preheader,
            body=new_body.replace("\n", "\r\n"),
        )
    email.refresh_from_db()
    assert email.status == EmailStatus.APPROVED
    assert email.edited is True
    assert email.subject == "Ana, a few pieces for you"
    assert email.body == new_body
    changes = email.transitions.last().changes
    assert set(changes) == {"subject", "body"}
    assert changes["subject"] == {
        "from": "A few pieces picked for you",
        "to": "Ana, a few pieces for you",
    }
    assert changes["body"]["from"] == DRAFT_BODY
    assert changes["body"]["to"] == new_body
    assert "+Warmly," in changes["body"]["diff"]
    assert len(callbacks) == 1


def test_unchanged_edit_form_approves_without_recording_edits():
    """Submitting the texts as they were is a plain approval."""
    email = pending_email()
    email_approve(
        email=email,
        reviewer=ReviewerFactory(),
        subject=email.subject,
        preheader=email.preheader,
        body=email.body,
    )
    email.refresh_from_db()
    assert email.edited is False
    assert email.transitions.last().changes == {}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"body": DRAFT_BODY.replace("Maya", "Enjoy 20% off your next Fix! Maya")},
            "20%",
        ),
        ({"subject": "Free shipping on us"}, "offer"),
        ({"body": "Hi there, come back soon."}, "not sendable: body length"),
        ({"body": DRAFT_BODY.replace("Hi Ana", "Hi [FIRST NAME]")}, "placeholder"),
    ],
)
def test_edited_text_must_pass_the_offer_guard_and_draft_checks(
    edit, message, django_capture_on_commit_callbacks
):
    """An edit adding an offer or breaking the draft rules is refused, unsaved."""
    email = pending_email()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ReviewRefused, match=message),
    ):
        email_approve(email=email, reviewer=ReviewerFactory(), **edit)
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
    assert email.body == DRAFT_BODY
    assert callbacks == []


@pytest.mark.parametrize(
    ("edit", "phrase"),
    [
        (
            {"body": DRAFT_BODY + "\n\nP.S. Ninety percent off everything this week"},
            "Ninety percent off",
        ),
        ({"subject": "The next Fix? Free."}, "Free"),
        ({"preheader": "Enter SAVE90 at checkout, Ana"}, "Enter SAVE90"),
    ],
)
def test_edit_then_approve_refuses_a_spelled_out_offer_naming_it(
    edit, phrase, django_capture_on_commit_callbacks
):
    """A reviewer's edit that adds a spelled-out offer is refused, naming the phrase
    as written, and nothing is saved or sent.
    """
    email = pending_email()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ReviewRefused, match="makes an offer nobody approved") as refused,
    ):
        email_approve(email=email, reviewer=ReviewerFactory(), **edit)
    assert f"“{phrase}”" in str(refused.value)
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
    assert email.body == DRAFT_BODY
    assert email.edited is False
    assert callbacks == []


def test_regenerate_keeps_the_old_draft_and_queues_a_linked_new_one(
    django_capture_on_commit_callbacks, regenerations
):
    """The old draft is rejected with a note; the new one is queued and drafted."""
    client = ClientFactory(first_name="Ana")
    snapshot = snapshot_make(client)
    email = pending_email(client)
    ReengagementEmail.objects.filter(pk=email.pk).update(snapshot=snapshot)
    email.refresh_from_db()
    reviewer = ReviewerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        new = email_regenerate(email=email, reviewer=reviewer)
    email.refresh_from_db()
    assert email.status == EmailStatus.REJECTED
    assert email.transitions.last().note == REGENERATED_NOTE
    assert email.transitions.last().actor == reviewer
    new.refresh_from_db()
    assert new.status == EmailStatus.QUEUED
    assert new.regenerated_from == email
    assert (new.client_id, new.snapshot_id) == (client.pk, snapshot.pk)
    assert new.idempotency_key == f"regenerate:{email.pk}"
    assert regenerations == [new.pk]


def test_regenerating_twice_returns_the_same_new_draft(
    django_capture_on_commit_callbacks, regenerations
):
    """A double click makes one new draft and one enqueue, not two."""
    email = pending_email()
    reviewer = ReviewerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = email_regenerate(email=email, reviewer=reviewer)
        second = email_regenerate(email=email, reviewer=reviewer)
    assert first.pk == second.pk
    assert ReengagementEmail.objects.filter(client=email.client).count() == 2
    assert email.transitions.filter(to_status=EmailStatus.REJECTED).count() == 1
    assert regenerations == [first.pk]


def test_regenerate_task_drafts_the_new_email_once(settings, regenerations):
    """The task drafts the queued email; a redelivery makes no second draft."""
    settings.OPENROUTER_API_KEY = ""  # the offline composer writes the draft
    email = pending_email()
    new = email_regenerate(email=email, reviewer=ReviewerFactory())
    assert tasks.regenerate_draft_task.apply(args=(new.pk,)).get() == "pending_review"
    new.refresh_from_db()
    assert new.provider == "offline-template"
    drafted_at = new.updated_at
    assert tasks.regenerate_draft_task.apply(args=(new.pk,)).get() == "pending_review"
    new.refresh_from_db()
    assert new.updated_at == drafted_at
    assert new.transitions.filter(to_status=EmailStatus.DRAFTING).count() == 1
    assert tasks.regenerate_draft_task.apply(args=(new.pk + 1000,)).get() is None


def test_a_draft_the_model_could_not_write_can_be_regenerated(
    django_capture_on_commit_callbacks, regenerations
):
    """A draft failed in drafting stays failed and gets a linked new one."""
    email = pending_email()
    reviewer = ReviewerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        failed = email_regenerate(email=email, reviewer=reviewer)
    failed = email_transition(email=failed, to=EmailStatus.DRAFTING)
    failed = email_transition(email=failed, to=EmailStatus.FAILED, error="down")
    with django_capture_on_commit_callbacks(execute=True):
        new = email_regenerate(email=failed, reviewer=reviewer)
    failed.refresh_from_db()
    assert failed.status == EmailStatus.FAILED
    assert (new.status, new.regenerated_from) == (EmailStatus.QUEUED, failed)
    assert regenerations == [failed.pk, new.pk]


def test_a_failed_send_or_an_open_email_blocks_regenerating(regenerations):
    """Only a never-reviewed failed draft is redone, and not over an open email."""
    reviewer = ReviewerFactory()
    unsent = email_approve(email=pending_email(), reviewer=reviewer)
    unsent = email_transition(email=unsent, to=EmailStatus.SENDING)
    unsent = email_transition(email=unsent, to=EmailStatus.FAILED)
    with pytest.raises(IllegalTransition, match="only a draft pending review"):
        email_regenerate(email=unsent, reviewer=reviewer)
    failed = pending_email()
    email_reject(email=failed, reviewer=reviewer, reason="Off")
    ReengagementEmail.objects.filter(pk=failed.pk).update(
        status=EmailStatus.FAILED, reviewed_at=None
    )
    failed.refresh_from_db()
    newer = pending_email(failed.client)
    with pytest.raises(ReviewRefused, match=f"Email #{newer.pk} to this client"):
        email_regenerate(email=failed, reviewer=reviewer)
    assert not ReengagementEmail.objects.filter(regenerated_from=failed).exists()


def test_regenerate_is_for_reviewers_only():
    """A stylist cannot throw away a draft and spend a model call."""
    stylist = StylistFactory()
    email = pending_email(ClientFactory(first_name="Ana", stylist=stylist))
    with pytest.raises(PermissionDenied):
        email_regenerate(email=email, reviewer=stylist)
    assert not ReengagementEmail.objects.filter(regenerated_from=email).exists()


def test_comments_by_own_stylist_and_reviewers_only():
    """A stylist comments on their clients' drafts, not others'; empty is refused."""
    stylist = StylistFactory()
    mine = pending_email(ClientFactory(first_name="Ana", stylist=stylist))
    theirs = pending_email(ClientFactory(first_name="Ana", stylist=StylistFactory()))
    comment = email_comment_add(email=mine, author=stylist, body=" Loves denim. ")
    assert comment.body == "Loves denim."
    with pytest.raises(PermissionDenied):
        email_comment_add(email=theirs, author=stylist, body="Hello")
    with pytest.raises(ReviewRefused):
        email_comment_add(email=mine, author=stylist, body="  ")
    email_comment_add(email=theirs, author=ReviewerFactory(), body="Checked.")
    with pytest.raises(PermissionDenied):
        email_comment_add(email=mine, author=UserFactory(is_staff=True), body="Hi")
    assert EmailComment.objects.count() == 2
