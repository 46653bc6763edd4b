"""The emails app's raw SQL: the two reads each draft makes.

Built with the ORM (select_related plus five subquery annotations) Django spent
~7 ms of CPU building, compiling and instantiating the drafting read for a
0.3 ms query, a third of the per-draft budget; written out, it costs well under
a millisecond (the recent Fixes: 1.3 ms through the ORM, a third of that as
SQL). Everything else in the app, the state machine included, is ORM.
Identifiers come from ``stitchengage.sql``, statuses from code, values are
parameters; the SQL is plain enough for PostgreSQL and SQLite alike, and
``tests/emails/test_drafting_facts.py`` checks it against the ORM's rules.
"""

from __future__ import annotations

import functools

from customers.models import Client, Order, OrderStatus
from emails.models import (
    OPEN_STATUSES,
    EmailStatus,
    Experiment,
    ReengagementEmail,
    RetentionAssignment,
    Suppression,
)
from scoring.models import ScoreSnapshot
from stitchengage.sql import column, columns, table

Stylist = Client._meta.get_field("stylist").related_model

DRAFTING_CLIENT_FIELDS = (
    "id",
    "first_name",
    "email",
    "signup_date",
    "stylist_id",
    "preferred_styles",
    "marketing_consent",
    "unsubscribed_at",
    "stylist_notes",
    "last_order_at",
)
DRAFTING_EXPERIMENT_FIELDS = ("name", "holdout_share", "variants")
RECENT_FIX_FIELDS = (
    "ordered_at",
    "items_sent",
    "items_kept",
    "kept_items",
    "rating",
    "feedback_comment",
)


def _client_suppressed(client_alias: str) -> str:
    """Return a condition: the client row ``client_alias`` is suppressed.

    The SQL twin of ``eligibility.address_suppressed``, matched the same way.
    """
    return (
        f"EXISTS (SELECT 1 FROM {table(Suppression)} x "  # noqa: S608
        f"WHERE LOWER(x.email) = LOWER(TRIM({client_alias}.email)))"
    )


@functools.cache
def drafting_facts_sql() -> str:
    """Return the read of a snapshot, its client and the client's email facts.

    Parameters: the snapshot's idempotency key, the frequency cap's start, the
    snapshot id. Columns: snapshot id and tier, ``DRAFTING_CLIENT_FIELDS``, the
    stylist's first name, the keyed email's id, the assignment's group and
    prompt version, suppressed, sent recently, open email, then
    ``DRAFTING_EXPERIMENT_FIELDS`` of the running experiment.
    """
    email = table(ReengagementEmail)
    open_statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    return f"""
        SELECT s.id, s.risk_tier, {columns(Client, DRAFTING_CLIENT_FIELDS, "c")},
            st.first_name,
            (SELECT e.id FROM {email} e WHERE e.idempotency_key = %s),
            a.{column(RetentionAssignment, "group")}, a.prompt_version,
            {_client_suppressed("c")},
            EXISTS (SELECT 1 FROM {email} e
                     WHERE e.client_id = s.client_id AND e.status = '{EmailStatus.SENT}'
                       AND e.sent_at >= %s),
            EXISTS (SELECT 1 FROM {email} e
                     WHERE e.client_id = s.client_id AND e.status IN ({open_statuses})),
            {columns(Experiment, DRAFTING_EXPERIMENT_FIELDS, "x")}
        FROM {table(ScoreSnapshot)} s
        JOIN {table(Client)} c ON c.id = s.client_id
        LEFT JOIN {table(Stylist)} st ON st.id = c.stylist_id
        LEFT JOIN {table(RetentionAssignment)} a
               ON a.snapshot_id = s.id AND a.client_id = s.client_id
        LEFT JOIN {table(Experiment)} x ON x.stopped_at IS NULL
        WHERE s.id = %s
    """  # noqa: S608


@functools.cache
def recent_fixes_sql() -> str:
    """Return the read of a client's latest delivered Fixes, newest first.

    Parameters: the client id, the limit. Columns: ``RECENT_FIX_FIELDS``.
    """
    return f"""
        SELECT {columns(Order, RECENT_FIX_FIELDS)} FROM {table(Order)}
        WHERE client_id = %s AND status NOT IN (
            '{OrderStatus.SCHEDULED}', '{OrderStatus.CANCELED}')
        ORDER BY ordered_at DESC, id DESC
        LIMIT %s
    """  # noqa: S608
