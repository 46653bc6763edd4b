"""The review desk in the admin: queue, decisions, permissions, bulk actions."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.admin import helpers
from django.core.management import call_command
from django.urls import reverse
from kombu.exceptions import OperationalError

from emails import tasks
from emails.models import EmailComment, EmailStatus, ReengagementEmail
from emails.services.drafting import DRAFT_NOT_QUEUED
from emails.services.review import REGENERATED_NOTE, email_reject
from tests.customers.factories import (
    ClientFactory,
    ManagerFactory,
    ReviewerFactory,
    StylistFactory,
    UserFactory,
    password_login,
)
from tests.emails.conftest import REVIEW_CHANGELIST, review_url, snapshot_make
from tests.emails.factories import DRAFT_BODY, pending_email

pytestmark = pytest.mark.django_db


def _post_action(client, name: str, email: ReengagementEmail):
    data = {
        "approve": {},
        "reject": {"reason": "Sounds like a template"},
        "regenerate": {},
        "comment": {"body": "She just moved to Denver."},
    }[name]
    return client.post(review_url(name, email), data)


def _effect(name: str, email: ReengagementEmail) -> bool:
    """Return whether the action left its mark on the email."""
    email.refresh_from_db()
    return {
        "approve": email.status == EmailStatus.APPROVED,
        "reject": email.status == EmailStatus.REJECTED
        and email.rejection_reason == "Sounds like a template",
        "regenerate": ReengagementEmail.objects.filter(
            regenerated_from=email, status=EmailStatus.QUEUED
        ).exists(),
        "comment": EmailComment.objects.filter(email=email).exists(),
    }[name]


ACTIONS = ("approve", "reject", "regenerate", "comment")
MATRIX = [
    # role, action, expected status code
    *(("stylist", a, 302 if a == "comment" else 403) for a in ACTIONS),
    *(("reviewer", a, 302) for a in ACTIONS),
    *(("manager", a, 302) for a in ACTIONS),
    *(("no_role", a, 404) for a in ACTIONS),
]


@pytest.mark.parametrize(("role", "action", "expected"), MATRIX)
def test_review_action_permission_matrix(client, role, action, expected):
    """Stylists only comment; reviewers and managers decide; others see nothing.

    The stylist's POSTs are forged (their page has no buttons) and still refused.
    """
    stylist = StylistFactory()
    email = pending_email(ClientFactory(first_name="Ana", stylist=stylist))
    user = {
        "stylist": lambda: stylist,
        "reviewer": ReviewerFactory,
        "manager": ManagerFactory,
        "no_role": lambda: UserFactory(is_staff=True),
    }[role]()
    password_login(client, user)
    response = _post_action(client, action, email)
    assert response.status_code == expected
    assert _effect(action, email) is (expected == 302)
    if expected != 302:
        email.refresh_from_db()
        assert email.status == EmailStatus.PENDING_REVIEW


def test_another_stylists_email_is_a_404_for_every_action(client):
    """A stylist cannot learn of, or comment on, another stylist's client's draft."""
    email = pending_email(ClientFactory(first_name="Ana", stylist=StylistFactory()))
    password_login(client, StylistFactory())
    for action in ACTIONS:
        assert _post_action(client, action, email).status_code == 404
    assert not EmailComment.objects.exists()


def test_decisions_need_post(client):
    """A GET (a link, a prefetch) never approves, regenerates or comments."""
    email = pending_email()
    password_login(client, ReviewerFactory())
    for action in ("approve", "regenerate", "comment"):
        assert client.get(review_url(action, email)).status_code == 405
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW


def test_decisions_need_the_csrf_token(client):
    """The decision URLs are CSRF-protected like the rest of the admin."""
    from django.test import Client

    email = pending_email()
    strict = Client(enforce_csrf_checks=True)
    password_login(strict, ReviewerFactory())
    assert strict.post(review_url("approve", email)).status_code == 403
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW


def test_reviewer_page_has_buttons_stylist_page_only_the_comment_form(client):
    """Buttons show only to reviewers; stylists get the comment form alone."""
    stylist = StylistFactory()
    email = pending_email(ClientFactory(first_name="Ana", stylist=stylist))
    change = review_url("change", email)
    password_login(client, ReviewerFactory())
    page = client.get(change).content.decode()
    for action in ("approve", "reject", "regenerate", "edit", "comment"):
        assert review_url(action, email) in page
    client.logout()
    password_login(client, stylist)
    page = client.get(change).content.decode()
    assert review_url("comment", email) in page
    for action in ("approve", "reject", "regenerate", "edit"):
        assert review_url(action, email) not in page
    assert 'value="Approve"' not in page


def test_change_page_shows_score_history_comments_and_the_trail(client):
    """Beside the preview: score history, comments, and who moved it with edits."""
    client_row = ClientFactory(first_name="Ana")
    snapshot_make(client_row)
    email = pending_email(client_row)
    manager = ManagerFactory(first_name="Rita", last_name="Moreno")
    EmailComment.objects.create(email=email, author=manager, body="Mention denim")
    password_login(client, manager)
    client.post(
        review_url("edit", email),
        {
            "subject": "Ana, a few pieces for you",
            "preheader": email.preheader,
            "body": DRAFT_BODY,
        },
    )
    page = client.get(review_url("change", email)).content.decode()
    assert "Score history" in page
    assert "<td>22/100</td><td>80%</td>" in page  # the snapshot's scores
    assert "Mention denim" in page
    assert "pending_review → approved" in page
    assert "Rita Moreno" in page
    assert "Ana, a few pieces for you" in page  # the recorded edit
    assert "approved with edits" in page


def test_reject_without_a_reason_shows_a_form_error(client):
    """An empty reason re-shows the form with an error and changes nothing."""
    email = pending_email()
    password_login(client, ReviewerFactory())
    response = client.post(review_url("reject", email), {"reason": "  "})
    assert response.status_code == 200
    assert "Give a reason for rejecting the draft." in response.content.decode()
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW


def test_edit_with_an_offer_is_refused_on_the_form(client):
    """An edited body promising "20% off" is shown back with the guard's message."""
    email = pending_email()
    password_login(client, ReviewerFactory())
    form = client.get(review_url("edit", email))
    assert form.status_code == 200
    assert form.context["form"].initial["body"] == DRAFT_BODY
    response = client.post(
        review_url("edit", email),
        {
            "subject": email.subject,
            "preheader": email.preheader,
            "body": DRAFT_BODY.replace("Maya", "Take 20% off your next Fix. Maya"),
        },
    )
    assert response.status_code == 200
    assert "offer nobody approved" in response.content.decode()
    assert "20% off" in response.content.decode()
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
    assert email.body == DRAFT_BODY


def test_approving_a_rejected_email_gives_a_message_not_a_500(client):
    """An illegal transition is reported on the page it came from."""
    email = pending_email()
    email_reject(email=email, reviewer=ReviewerFactory(), reason="Off tone")
    password_login(client, ReviewerFactory())
    for action in ("approve", "regenerate", "edit"):
        response = client.post(review_url(action, email), follow=True)
        assert response.status_code == 200
        text = response.content.decode()
        assert "is rejected; only a draft pending review can be" in text
    email.refresh_from_db()
    assert email.status == EmailStatus.REJECTED


def test_regenerate_redirects_to_the_new_draft(client):
    """After regenerating, the reviewer lands on the new (queued) email."""
    email = pending_email()
    password_login(client, ReviewerFactory())
    response = client.post(review_url("regenerate", email))
    new = ReengagementEmail.objects.get(regenerated_from=email)
    assert response["Location"] == review_url("change", new)


def _regenerated_page(client, email: ReengagementEmail):
    """Click Regenerate and follow the redirect; return the page and the new draft."""
    response = client.post(review_url("regenerate", email), follow=True)
    assert response.status_code == 200
    new = ReengagementEmail.objects.get(regenerated_from=email)
    assert response.redirect_chain == [(review_url("change", new), 302)]
    return response.content.decode(), new


def _assert_old_draft_kept(email: ReengagementEmail, page: str) -> None:
    email.refresh_from_db()
    assert email.status == EmailStatus.REJECTED
    assert email.rejection_reason == REGENERATED_NOTE
    assert review_url("change", email) in page  # the old draft is a click away
    assert ReengagementEmail.objects.filter(client=email.client).count() == 2


@pytest.fixture
def broker_down(monkeypatch) -> list[int]:
    """Make publishing the regenerate task fail as it does with Redis stopped."""
    attempts: list[int] = []

    def refuse(args=None, kwargs=None, **options):
        attempts.append(args[0])
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Refused.")

    monkeypatch.setattr(tasks.regenerate_draft_task, "apply_async", refuse)
    return attempts


@pytest.mark.django_db(transaction=True)
def test_regenerate_with_the_model_unreachable_fails_the_new_draft(
    client, celery_eager, llm_unreachable
):
    """Run eagerly (no broker), a model that cannot be reached gives no 500.

    No worker will retry later, so the new draft is marked failed with the
    reason, the reviewer is told so on its page, which links the old draft
    (kept, rejected) and offers to regenerate again.
    """
    email = pending_email()
    password_login(client, ReviewerFactory())
    page, new = _regenerated_page(client, email)
    assert new.status == EmailStatus.FAILED
    assert new.error == "could not connect to the provider"
    assert "The model could not write a new draft" in page
    assert f"Email #{new.pk} is marked failed; you can regenerate it again" in page
    assert review_url("regenerate", new) in page
    _assert_old_draft_kept(email, page)
    assert (
        review_url("change", new)
        in client.get(review_url("change", email)).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_regenerate_with_the_broker_down_leaves_the_draft_for_the_sweep(
    client, broker_down, monkeypatch, broker
):
    """A failed publish after the commit gives no 500; the sweep queues it later.

    The new draft waits as queued with the reason; ``generate_drafts`` publishes
    it once the broker is back.
    """
    email = pending_email()
    password_login(client, ReviewerFactory())
    page, new = _regenerated_page(client, email)
    assert broker_down == [new.pk]
    assert new.status == EmailStatus.QUEUED
    assert new.error == DRAFT_NOT_QUEUED
    assert f"The new draft, email #{new.pk}, could not be queued" in page
    _assert_old_draft_kept(email, page)

    monkeypatch.undo()  # the broker is back
    out = StringIO()
    call_command("generate_drafts", stdout=out)
    assert "Regenerated drafts left waiting: 1 enqueued again." in out.getvalue()
    (raw,) = broker.lrange("llm", 0, -1)
    headers = json.loads(raw)["headers"]
    assert (headers["task"], headers["argsrepr"]) == (
        "emails.regenerate_draft",
        f"({new.pk},)",
    )
    new.refresh_from_db()
    assert (new.status, new.error) == (EmailStatus.QUEUED, "")


@pytest.mark.django_db(transaction=True)
def test_regenerate_clicked_again_makes_no_second_draft(client, broker_down):
    """A reviewer's second click on the old draft retries the same new draft."""
    email = pending_email()
    password_login(client, ReviewerFactory())
    _, new = _regenerated_page(client, email)
    page, again = _regenerated_page(client, email)
    assert again == new
    assert broker_down == [new.pk, new.pk]  # published again, not duplicated
    assert f"The new draft, email #{new.pk}, could not be queued" in page
    _assert_old_draft_kept(email, page)


def test_changelist_opens_on_the_review_queue(client):
    """By default only pending drafts are listed; "All emails" and search see all."""
    pending = pending_email()
    done = pending_email(ClientFactory(first_name="Ana", last_name="Zed"))
    email_reject(email=done, reviewer=ReviewerFactory(), reason="No")
    password_login(client, ReviewerFactory())
    listed = client.get(reverse(REVIEW_CHANGELIST)).context["cl"].result_list
    assert {e.pk for e in listed} == {pending.pk}
    listed = client.get(reverse(REVIEW_CHANGELIST), {"queue": "all"}).context["cl"]
    assert {e.pk for e in listed.result_list} == {pending.pk, done.pk}
    listed = client.get(reverse(REVIEW_CHANGELIST), {"status__exact": "rejected"})
    assert {e.pk for e in listed.context["cl"].result_list} == {done.pk}
    listed = client.get(reverse(REVIEW_CHANGELIST), {"q": "Zed"})
    assert {e.pk for e in listed.context["cl"].result_list} == {done.pk}
    # By the start of a name (an index range at a million clients), not within.
    listed = client.get(reverse(REVIEW_CHANGELIST), {"q": "ze"})
    assert {e.pk for e in listed.context["cl"].result_list} == {done.pk}
    listed = client.get(reverse(REVIEW_CHANGELIST), {"q": "ed"})
    assert not listed.context["cl"].result_list


@pytest.mark.parametrize(
    "params",
    [
        {"age": "today"},
        {"age": "7d"},
        {"client__score__risk_tier__exact": "at_risk"},
        {"provider": "offline-template"},
    ],
)
def test_changelist_filters_keep_todays_pending_draft(client, params):
    """Age, tier and provider filters select today's at-risk offline draft."""
    client_row = ClientFactory(first_name="Ana")
    snapshot_make(client_row)
    email = pending_email(client_row)
    password_login(client, ReviewerFactory())
    response = client.get(reverse(REVIEW_CHANGELIST), params)
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [email.pk]


def test_changelist_filters_exclude_what_does_not_match(client):
    """The older-than-a-week and stylist filters leave out a new draft of another."""
    stylist = StylistFactory()
    pending_email(ClientFactory(first_name="Ana", stylist=StylistFactory()))
    password_login(client, ReviewerFactory())
    for params in ({"age": "older"}, {"stylist": str(stylist.pk)}):
        response = client.get(reverse(REVIEW_CHANGELIST), params)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []


def _bulk(client, action: str, emails, **extra):
    data = {
        "action": action,
        helpers.ACTION_CHECKBOX_NAME: [e.pk for e in emails],
        **extra,
    }
    return client.post(reverse(REVIEW_CHANGELIST) + "?queue=all", data)


def test_bulk_approve_approves_pending_and_skips_the_rest(client):
    """Bulk approval approves pending drafts and reports the skipped ones."""
    first, second = pending_email(), pending_email()
    done = pending_email()
    email_reject(email=done, reviewer=ReviewerFactory(), reason="No")
    password_login(client, ReviewerFactory())
    response = _bulk(client, "approve_selected", [first, second, done])
    assert response.status_code == 302
    statuses = set(
        ReengagementEmail.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {EmailStatus.APPROVED}
    done.refresh_from_db()
    assert done.status == EmailStatus.REJECTED
    messages = [
        str(m) for m in client.get(reverse(REVIEW_CHANGELIST)).context["messages"]
    ]
    assert messages == ["Drafts: 2 approved, 1 skipped (not pending review)"]


def test_bulk_reject_asks_for_a_reason_first(client):
    """Bulk reject shows a reason page; an empty reason is refused; then it rejects."""
    first, second = pending_email(), pending_email()
    password_login(client, ManagerFactory())
    page = _bulk(client, "reject_selected", [first, second])
    assert page.status_code == 200
    assert "Reason" in page.content.decode()
    empty = _bulk(client, "reject_selected", [first, second], apply="yes", reason="")
    assert empty.status_code == 200
    assert "Give a reason for rejecting the draft." in empty.content.decode()
    assert not ReengagementEmail.objects.filter(status=EmailStatus.REJECTED).exists()
    done = _bulk(
        client, "reject_selected", [first, second], apply="yes", reason="Duplicates"
    )
    assert done.status_code == 302
    reasons = set(
        ReengagementEmail.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", "rejection_reason"
        )
    )
    assert reasons == {(EmailStatus.REJECTED, "Duplicates")}


def test_stylist_has_no_bulk_actions_and_a_forged_one_does_nothing(client):
    """The review actions are not offered to stylists, and posting one is ignored."""
    stylist = StylistFactory()
    email = pending_email(ClientFactory(first_name="Ana", stylist=stylist))
    password_login(client, stylist)
    listing = client.get(reverse(REVIEW_CHANGELIST))
    assert "approve_selected" not in listing.content.decode()
    _bulk(client, "approve_selected", [email])
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW


def test_model_form_cannot_overwrite_an_email(client):
    """The change form is read-only: a POST to it cannot write back a stale status."""
    email = pending_email()
    password_login(client, ManagerFactory())
    response = client.post(review_url("change", email), {"status": "approved"})
    assert response.status_code == 403
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING_REVIEW
