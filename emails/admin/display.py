"""How the review desk shows an email: status colours, send time, the panel.

The panel is the draft as the client will see it beside the client's context
(tier, score history, recent Fixes, the trail and comments).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.template.loader import render_to_string

from emails.models import EmailStatus, ReengagementEmail, RetentionAssignment
from emails.selectors import email_client_recent_orders
from emails.services.rendering import email_html_render
from emails.services.send_time import client_time_zone
from scoring.presentation import score_history_html, tier_badge
from scoring.selectors import client_score_history

STATUS_COLOURS = {
    EmailStatus.QUEUED: "#6c757d",
    EmailStatus.DRAFTING: "#17a2b8",
    EmailStatus.PENDING_REVIEW: "#b8860b",
    EmailStatus.APPROVED: "#1e7e34",
    EmailStatus.SENDING: "#17a2b8",
    EmailStatus.SENT: "#155724",
    EmailStatus.REJECTED: "#6c757d",
    EmailStatus.FAILED: "#c0392b",
    EmailStatus.SUPPRESSED: "#343a40",
}
TEMPLATES = "admin/emails/reengagementemail"
SCORE_HISTORY_POINTS = 26
SCORE_TABLE_ROWS = 5

logger = logging.getLogger(__name__)


def send_time_text(email: ReengagementEmail) -> str:
    """Say when an email goes: in the client's local time, and in UTC."""
    zone = client_time_zone(client=email.client)
    local = email.send_after.astimezone(zone)
    utc = email.send_after.astimezone(dt.UTC)
    return f"{local:%Y-%m-%d %H:%M} {zone.key} ({utc:%Y-%m-%d %H:%M} UTC)"


def _score_chart(history) -> str:
    """Return the score chart, or "" so a chart bug never hides the review panel.

    The admin shows a readonly callable that raises ValueError as "-", which
    would take the preview and the decision context with it.
    """
    if not history:
        return ""
    try:
        return score_history_html(history)
    except ValueError:
        logger.exception("Score chart failed for client %s", history[0].client_id)
        return ""


def review_panel_html(
    *, email: ReengagementEmail, change_url_of: Callable[[int], str]
) -> str:
    """Render the preview and the decision context of one email."""
    obj = email
    client = obj.client
    history = client_score_history(client_id=client.pk, limit=SCORE_HISTORY_POINTS)
    replaced_by = (
        ReengagementEmail.objects.filter(regenerated_from=obj)
        .values_list("pk", flat=True)
        .first()
    )
    return render_to_string(
        f"{TEMPLATES}/review_panel.html",
        {
            "email": obj,
            "sends_at": obj.status == EmailStatus.APPROVED
            and obj.send_after
            and send_time_text(obj),
            "regenerated_from_url": obj.regenerated_from_id
            and change_url_of(obj.regenerated_from_id),
            "replaced_by": replaced_by,
            "replaced_by_url": replaced_by and change_url_of(replaced_by),
            "html": email_html_render(email=obj) if obj.body else "",
            "client": client,
            "tier": tier_badge(client.current_tier),
            "score": client.current_score,
            "orders": email_client_recent_orders(email=obj),
            "score_chart": _score_chart(history),
            "score_rows": history[-SCORE_TABLE_ROWS:][::-1],
            "transitions": obj.transitions.select_related("actor"),
            "comments": obj.comments.select_related("author"),
            "experiment": obj.snapshot_id
            and RetentionAssignment.objects.filter(
                client_id=obj.client_id, snapshot_id=obj.snapshot_id
            )
            .values_list("experiment", flat=True)
            .first(),
        },
    )
