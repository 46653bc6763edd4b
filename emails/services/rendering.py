"""Turn a stored plain-text draft into the HTML a client would receive."""

from __future__ import annotations

from django.template.loader import render_to_string

from emails.models import ReengagementEmail


def email_html_render(*, email: ReengagementEmail, unsubscribe_url: str = "") -> str:
    """Return the HTML email: the text body as escaped paragraphs in the layout."""
    return render_to_string(
        "emails/reengagement.html",
        {
            "subject": email.subject,
            "preheader": email.preheader,
            "body": email.body,
            "unsubscribe_url": unsubscribe_url,
        },
    )
