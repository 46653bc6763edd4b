"""What drafting reads per draft: one read for every decision, one for the Fixes.

Both run once per draft on the drafting hot path, so they are hand-written
statements (``emails/sql.py`` says what they cost through the ORM); this
module runs them and turns their rows into models and plain values, with
Django's own converters. ``tests/emails/test_drafting_facts.py`` checks the
answers against the ORM's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from customers.models import Client, Order
from emails.models import Experiment
from emails.services.experiments import (
    ExperimentPlan,
    experiment_plan_default,
    experiment_plan_from,
)
from emails.sql import (
    DRAFTING_CLIENT_FIELDS,
    DRAFTING_EXPERIMENT_FIELDS,
    RECENT_FIX_FIELDS,
    Stylist,
    drafting_facts_sql,
    recent_fixes_sql,
)
from stitchengage.sql import row_converter


@dataclass(frozen=True, slots=True)
class DraftingFacts:
    """A snapshot's tier, its client (with stylist) and the client's email facts."""

    snapshot_id: int
    risk_tier: str
    client: Client
    keyed_email_id: int | None  # the email already made for this snapshot
    assigned_group: str | None  # the holdout assignment already recorded
    suppressed: bool
    sent_recently: bool
    open_email: bool
    assigned_prompt_version: str = ""  # that assignment's prompt variant
    # The running experiment, read with the rest so assigning costs no query.
    experiment: ExperimentPlan | None = None


def drafting_facts(
    *, snapshot_id: int, idempotency_key: str, now: dt.datetime | None = None
) -> DraftingFacts | None:
    """Return what deciding a snapshot's draft needs, or None if it is gone."""
    now = now or timezone.now()
    cap_start = now - dt.timedelta(days=settings.REENGAGEMENT_FREQUENCY_CAP_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            drafting_facts_sql(),
            [
                idempotency_key,
                connection.ops.adapt_datetimefield_value(cap_start),
                snapshot_id,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(DRAFTING_CLIENT_FIELDS)
    values = row_converter(Client, DRAFTING_CLIENT_FIELDS)(row[2 : 2 + n])
    client = Client.from_db(connection.alias, DRAFTING_CLIENT_FIELDS, values)
    stylist_id, stylist_name = values[4], row[2 + n]
    client.stylist = (
        Stylist.from_db(
            connection.alias, ("id", "first_name"), (stylist_id, stylist_name)
        )
        if stylist_id is not None
        else None
    )
    keyed, group, variant, suppressed, sent_recently, open_email = row[3 + n : 9 + n]
    experiment = row_converter(Experiment, DRAFTING_EXPERIMENT_FIELDS)
    name, share, variants = experiment(row[9 + n :])
    return DraftingFacts(
        snapshot_id=row[0],
        risk_tier=row[1],
        client=client,
        keyed_email_id=keyed,
        assigned_group=group,
        suppressed=bool(suppressed),
        sent_recently=bool(sent_recently),
        open_email=bool(open_email),
        assigned_prompt_version=variant or "",
        experiment=experiment_plan_default()
        if name is None
        else experiment_plan_from(name=name, holdout_share=share, variants=variants),
    )


def recent_fixes(*, client_id: int, limit: int) -> list[dict[str, object]]:
    """Return the client's latest delivered Fixes, newest first, as plain rows."""
    with connection.cursor() as cursor:
        cursor.execute(recent_fixes_sql(), [client_id, limit])
        rows = cursor.fetchall()
    convert = row_converter(Order, RECENT_FIX_FIELDS)
    return [dict(zip(RECENT_FIX_FIELDS, convert(row), strict=True)) for row in rows]
