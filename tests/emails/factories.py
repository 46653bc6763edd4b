"""factory_boy factories for emails: re-engagement emails in a given state.

Also the client profile the drafting code reads, as plain data.
"""

from __future__ import annotations

import factory

from emails.drafting.profile import ClientProfile
from emails.models import EmailStatus, ReengagementEmail
from emails.services.transitions import email_transition
from tests.customers.factories import ClientFactory


class ReengagementEmailFactory(factory.django.DjangoModelFactory):
    """An email saved straight in ``status`` (queued unless given), no trail.

    For a test that starts from a state; ``pending_review_email`` below walks
    the transitions the drafting flow makes instead.
    """

    class Meta:
        model = ReengagementEmail

    client = factory.SubFactory(ClientFactory)
    idempotency_key = factory.Sequence(lambda n: f"factory:{n}")
    status = EmailStatus.QUEUED

    class Params:
        # A draft under review with the subject and body a send needs.
        drafted = factory.Trait(
            status=EmailStatus.PENDING_REVIEW,
            subject="A few pieces picked for you",
            body="Hi,\n\nYour stylist set aside a denim jacket.",
        )


def pending_review_email(
    *,
    client,
    subject: str = "A few pieces picked for you",
    preheader: str = "",
    body: str = "Hi",
    provider: str = "offline-template",
    **fields,
) -> ReengagementEmail:
    """Return a draft awaiting review, moved there as drafting does (queued ->
    drafting -> pending_review), so its trail is the real one."""
    email = ReengagementEmailFactory(client=client, **fields)
    email_transition(email=email, to=EmailStatus.DRAFTING)
    return email_transition(
        email=email,
        to=EmailStatus.PENDING_REVIEW,
        subject=subject,
        preheader=preheader,
        body=body,
        provider=provider,
    )


def approved_email(**fields) -> ReengagementEmail:
    """Return a drafted email a reviewer approved, with that one move in its trail,
    ready for ``send_email_task``."""
    email = ReengagementEmailFactory(drafted=True, **fields)
    return email_transition(email=email, to=EmailStatus.APPROVED)


def client_profile_make(**overrides: object) -> ClientProfile:
    """Return Maya's profile (a feedback comment and a stylist note included)."""
    fields: dict[str, object] = {
        "first_name": "Maya",
        "stylist_name": "Jordan Lee",
        "tenure_months": 26,
        "preferred_styles": ("boho", "relaxed denim"),
        "items_sent": 5,
        "items_kept": 2,
        "kept_summary": "a denim jacket and a wrap dress",
        "days_since_last_order": 120,
        "last_feedback_rating": 4,
        "last_feedback_comment": "Loved the jacket, the shoes pinched.",
        "stylist_note": "Prefers muted colours.",
    }
    fields.update(overrides)
    return ClientProfile(**fields)  # type: ignore[arg-type]


# The body of a draft under review: long enough for the schema, and no offer.
DRAFT_BODY = (
    "Hi Ana,\n\nIt has been a while since your last Fix, and I have been keeping an "
    "eye out for pieces that suit the relaxed, classic looks you loved. The denim "
    "jacket you kept would pair beautifully with a few things I have in mind.\n\n"
    "Whenever you are ready, just schedule your next Fix.\n\nMaya"
)


def pending_email(client=None, **fields) -> ReengagementEmail:
    """Return a draft awaiting review, for a consenting client named Ana."""
    return pending_review_email(
        client=client or ClientFactory(first_name="Ana"),
        subject=fields.get("subject", "A few pieces picked for you"),
        preheader=fields.get("preheader", "Your stylist has some ideas for spring"),
        body=fields.get("body", DRAFT_BODY),
        provider="offline-template",
    )
