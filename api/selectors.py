"""Reads of the API: one client's standing, a page of emails."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.db.models import Q

from api.problems import FieldError, invalid_request
from customers.models import Client, RiskTier
from emails.models import ReengagementEmail


def client_standing_get(*, external_id: str) -> dict[str, Any] | None:
    """Return tier, scores, last order and latest email of a client, or None."""
    client = (
        Client.objects.select_related("score")
        .filter(external_id=external_id)
        .only(
            "pk", "external_id", "email", "first_name", "last_name", "order_count",
            "score__risk_tier", "score__engagement_score", "score__churn_risk",
            "score__p_alive", "score__clv", "score__scored_at",
        )
        .first()
    )  # fmt: skip
    if client is None:
        return None
    score = client.current_score
    last_order = (
        client.orders.order_by("-ordered_at", "-id")
        .values("ordered_at", "status", "amount", "import_key")
        .first()
    )
    if last_order is not None:
        key = last_order.pop("import_key") or ""
        # Only the API's own keys carry a source order id ("api:<source>:<id>").
        parts = key.split(":", 2)
        last_order["source_order_id"] = parts[2] if parts[0] == "api" else None
    latest_email = (
        ReengagementEmail.objects.filter(client=client)
        .order_by("-created_at", "-id")
        .values("id", "status", "subject", "created_at", "sent_at")
        .first()
    )
    return {
        "external_id": client.external_id,
        "email": client.email,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "tier": score.risk_tier if score else RiskTier.UNSCORED.value,
        "order_count": client.order_count,
        "scores": score,
        "last_order": last_order,
        "latest_email": latest_email,
    }


def _cursor_encode(created_at: dt.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{pk}".encode()).decode()


def _cursor_decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
        created, pk = text.split("|")
        when = dt.datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError
        return when, int(pk)
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid_request(
            "The cursor is not one this API gave out.",
            [FieldError(field="cursor", message="Not a cursor from next_cursor.")],
        ) from None


def emails_page(
    *, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Return a page of emails, newest first, and the cursor of the next page.

    Keyset pagination on (created_at, id): a page costs the same at any depth,
    and emails created meanwhile do not shift the pages.
    """
    emails = ReengagementEmail.objects.order_by("-created_at", "-id")
    if status:
        emails = emails.filter(status=status)
    if cursor:
        created_at, pk = _cursor_decode(cursor)
        emails = emails.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
        )
    rows = list(
        emails.values(
            "id", "client__external_id", "status", "subject", "created_at", "sent_at"
        )[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_encode(rows[-1]["created_at"], rows[-1]["id"])
    for row in rows:
        row["client_external_id"] = row.pop("client__external_id")
    return rows, next_cursor
