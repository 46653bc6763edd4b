"""factory_boy factories for emails: re-engagement emails in a given state."""

from __future__ import annotations

import factory

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
