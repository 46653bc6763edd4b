"""The hand-written drafting read and contact guard agree with the ORM's rules."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from customers.models import Client
from emails.models import (
    OPEN_STATUSES,
    EmailStatus,
    EmailTransition,
    ReengagementEmail,
    RetentionAssignment,
    Suppression,
)
from emails.services.drafting_facts import drafting_facts
from emails.services.eligibility import (
    EMAIL_CLIENT_CONTACTABLE,
    address_suppressed,
    client_contact_block_reason,
    draft_block_reason,
)
from emails.services.transitions import IllegalTransition, email_transition
from tests.customers.factories import ClientFactory, StylistFactory
from tests.emails.conftest import snapshot_make
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db

KEY = "snapshot:test"


def client_draft_ineligibility(*, client) -> str | None:
    """The eligibility rules written with the ORM: the oracle the SQL must match."""
    cap_start = timezone.now() - dt.timedelta(
        days=settings.REENGAGEMENT_FREQUENCY_CAP_DAYS
    )
    emails = ReengagementEmail.objects.filter(client=OuterRef("pk"))
    row = (
        Client.objects.filter(pk=client.pk)
        .annotate(
            suppressed=address_suppressed("email"),
            sent_recently=Exists(
                emails.filter(status=EmailStatus.SENT, sent_at__gte=cap_start)
            ),
            open_email=Exists(emails.filter(status__in=OPEN_STATUSES)),
        )
        .values(
            "marketing_consent",
            "unsubscribed_at",
            "suppressed",
            "sent_recently",
            "open_email",
        )
        .get()
    )
    return draft_block_reason(**row)


def _facts(snapshot):
    return drafting_facts(snapshot_id=snapshot.pk, idempotency_key=KEY)


def _email(client, status=EmailStatus.QUEUED, key=None, **fields):
    if key is not None:
        fields["idempotency_key"] = key
    return ReengagementEmailFactory(client=client, status=status, **fields)


def test_client_and_stylist_come_back_as_the_orm_reads_them():
    """Every column the profile uses arrives converted: JSON, dates, booleans."""
    stylist = StylistFactory(first_name="Maya")
    client = ClientFactory(
        first_name="Ana",
        stylist=stylist,
        preferred_styles=["boho", "classic"],
        stylist_notes="Loves denim.",
        marketing_consent=True,
        last_order_at=timezone.now() - dt.timedelta(days=40),
    )
    facts = _facts(snapshot_make(client))
    expected = Client.objects.get(pk=client.pk)
    for name in (
        "id",
        "first_name",
        "email",
        "signup_date",
        "preferred_styles",
        "marketing_consent",
        "unsubscribed_at",
        "stylist_notes",
        "last_order_at",
    ):
        assert getattr(facts.client, name) == getattr(expected, name), name
    assert facts.client.last_order_at.tzinfo is not None
    assert facts.client.stylist.first_name == "Maya"
    assert facts.risk_tier == "at_risk"
    assert (facts.keyed_email_id, facts.assigned_group) == (None, None)
    assert (facts.suppressed, facts.sent_recently, facts.open_email) == (
        False,
        False,
        False,
    )


def test_a_client_without_stylist_reads_none():
    """The stylist join is optional."""
    facts = _facts(snapshot_make(ClientFactory(stylist=None)))
    assert facts.client.stylist is None


def test_missing_snapshot_reads_none():
    """A deleted snapshot gives no facts."""
    assert drafting_facts(snapshot_id=987_654, idempotency_key=KEY) is None


def test_keyed_email_and_recorded_assignment_are_found():
    """The email made under the key and the snapshot's assignment are reported."""
    client = ClientFactory()
    snapshot = snapshot_make(client)
    email = _email(client, status=EmailStatus.REJECTED, key=KEY)
    RetentionAssignment.objects.create(
        client=client,
        snapshot=snapshot,
        group=RetentionAssignment.Group.HOLDOUT,
        holdout_share=0.1,
    )
    facts = _facts(snapshot)
    assert facts.keyed_email_id == email.pk
    assert facts.assigned_group == "holdout"


@pytest.mark.parametrize(
    ("stored", "suppressed"),
    [
        ("Ana.Lopez@Example.COM", True),
        ("ana.lopez@example.com", True),
        ("ana.lopez@example.org", False),
    ],
)
def test_suppression_matches_like_the_orm(stored, suppressed):
    """Case and surrounding spaces do not hide a suppressed address."""
    client = ClientFactory(email=" ana.lopez@example.com ")
    Suppression.objects.create(email=stored, reason=Suppression.Reason.HARD_BOUNCE)
    assert _facts(snapshot_make(client)).suppressed is suppressed
    assert (client_draft_ineligibility(client=client) is not None) is suppressed


@pytest.mark.parametrize(("days_ago", "recent"), [(29, True), (31, False)])
def test_frequency_cap_matches_the_orm(settings, days_ago, recent):
    """An email sent inside the cap counts; one sent before it does not."""
    settings.REENGAGEMENT_FREQUENCY_CAP_DAYS = 30
    client = ClientFactory()
    _email(
        client,
        status=EmailStatus.SENT,
        sent_at=timezone.now() - dt.timedelta(days=days_ago),
    )
    facts = _facts(snapshot_make(client))
    assert facts.sent_recently is recent
    assert (client_draft_ineligibility(client=client) is not None) is recent


@pytest.mark.parametrize("status", [*OPEN_STATUSES, EmailStatus.REJECTED])
def test_open_email_matches_the_orm(status):
    """Any email still in flight blocks a new draft; a closed one does not."""
    client = ClientFactory()
    _email(client, status=status)
    facts = _facts(snapshot_make(client))
    assert facts.open_email is (status in OPEN_STATUSES)
    assert (client_draft_ineligibility(client=client) is not None) is facts.open_email


@pytest.mark.parametrize(
    ("consent", "unsubscribed", "suppressed"),
    list(itertools.product([True, False], repeat=3)),
)
def test_contact_guard_agrees_with_the_contact_rules(consent, unsubscribed, suppressed):
    """The SQL guard lets a move through exactly when no contact rule blocks it."""
    client = ClientFactory(
        email="Guard@Example.com",
        marketing_consent=consent,
        unsubscribed_at=timezone.now() if unsubscribed else None,
    )
    if suppressed:
        Suppression.objects.create(
            email="guard@example.COM", reason=Suppression.Reason.COMPLAINT
        )
    email = _email(client, status=EmailStatus.DRAFTING)
    blocked = client_contact_block_reason(client=client)
    try:
        email_transition(
            email=email,
            to=EmailStatus.PENDING_REVIEW,
            guard=EMAIL_CLIENT_CONTACTABLE,
            subject="Hi",
        )
        moved = True
    except IllegalTransition:
        moved = False
    email.refresh_from_db()
    assert moved is (blocked is None)
    if blocked:
        assert email.status == EmailStatus.DRAFTING
        assert email.subject == ""
        assert not EmailTransition.objects.exists()
    else:
        assert (email.status, email.subject) == (EmailStatus.PENDING_REVIEW, "Hi")
    assert (blocked is None) == (consent and not unsubscribed and not suppressed)


def test_recent_fixes_are_the_delivered_ones_newest_first():
    """Scheduled and canceled Fixes are left out; ties on time go by id; limit holds."""
    from customers.models import OrderStatus
    from emails.services.drafting_facts import recent_fixes
    from tests.customers.factories import OrderFactory

    client = ClientFactory()
    now = timezone.now()
    old = OrderFactory(client=client, ordered_at=now - dt.timedelta(days=90))
    first_tie = OrderFactory(
        client=client,
        ordered_at=now - dt.timedelta(days=30),
        status=OrderStatus.RETURNED,
        rating=2,
    )
    second_tie = OrderFactory(
        client=client,
        ordered_at=first_tie.ordered_at,
        status=OrderStatus.KEPT,
        kept_items="linen shirt",
    )
    for status in (OrderStatus.SCHEDULED, OrderStatus.CANCELED):
        OrderFactory(client=client, ordered_at=now, status=status)
    OrderFactory(client=ClientFactory(), ordered_at=now)  # someone else's
    rows = recent_fixes(client_id=client.pk, limit=12)
    assert [row["ordered_at"] for row in rows] == [
        second_tie.ordered_at,
        first_tie.ordered_at,
        old.ordered_at,
    ]
    assert rows[0]["kept_items"] == "linen shirt"
    assert rows[1]["rating"] == 2
    assert rows[0]["ordered_at"].tzinfo is not None
    assert len(recent_fixes(client_id=client.pk, limit=2)) == 2
