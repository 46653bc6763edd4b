"""Apply a batch of order events from a retailer's system (``POST /api/v1/orders``).

An event is an order as the source system has it now, with its client. Events
are idempotent by ``(token source, source_order_id)``, kept in
``Order.import_key`` as ``api:<source>:<source_order_id>``: a re-sent event
changes nothing, a changed one updates the order. The work per batch is a fixed
handful of queries, whatever its size (no query per event).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from pydantic import ValidationError

from api.problems import FieldError, ProblemError, invalid_request
from api.schemas import OrderEventIn
from api.sql import orders_upsert_sql
from customers.columns import ORDER_FACTS
from customers.date_bounds import date_bounds_error
from customers.models import Client, Order, OrderStatus, validate_time_zone
from customers.services.consent import consent_regrant_error
from customers.services.order_facts import clients_order_facts_refresh
from emails.services.task_queue import task_enqueue_each, task_enqueue_on_commit
from scoring.tasks import rescore_client_task

CLIENT_FIELDS = ("email", "first_name", "last_name", "time_zone", "signup_date")
KEY_PREFIX = "api"


@dataclass
class BatchResult:
    """What a batch did, event by event."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    clients_created: int = 0
    clients_updated: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    rescored_client_ids: list[int] = field(default_factory=list)


@dataclass
class _Event:
    index: int
    data: OrderEventIn
    key: str


def order_import_key(*, source: str, source_order_id: str) -> str:
    return f"{KEY_PREFIX}:{source}:{source_order_id}"


def order_batch_apply(
    *, source: str, raw_events: list[Any], partial_ok: bool = False
) -> BatchResult:
    """Validate and apply a batch; return what each event did.

    1. Check each event's shape (``OrderEventIn``) and the model's rules: date
       bounds (``customers.date_bounds``), items kept <= sent, ship date, time
       zone.
    2. A ``source_order_id`` twice in the batch: the last event wins, the
       earlier ones are "superseded" (a stream may carry an order's insert and
       its update together).
    3. Resolve the clients by external id and check their e-mails are not
       another client's (one query each). A new client needs an e-mail and a
       first name; consent is recorded for new clients only and never switched
       back on (``customers.services.consent``): asking for it is a warning.
    4. Any error: raise ``ProblemError`` (422) and write nothing, unless
       ``partial_ok``, which applies the valid events and reports the rest.
    5. In one transaction: create and update clients, upsert the orders in one
       ``INSERT ... ON CONFLICT (import_key) DO UPDATE`` (two identical batches
       at once cannot duplicate an order), refresh the order facts of the
       clients whose orders changed.
    6. On commit, one task (``api.clients_rescore_enqueue``) that publishes,
       from a worker, one ``scoring.rescore_client`` per such client: what an
       admin save does per order (``scoring.receivers.order_saved``), once per
       client. The request itself publishes one message, not up to 1,000 (500
       publishes cost 2.5 s here on Redis, and more on SQS, one HTTPS call each).
    """
    result = BatchResult()
    errors: dict[int, list[FieldError]] = defaultdict(list)
    events: list[_Event] = []
    today = timezone.localdate()

    # 1.
    for index, raw in enumerate(raw_events):
        event, event_errors = _event_parse(index=index, raw=raw, today=today)
        if event_errors:
            errors[index].extend(event_errors)
        else:
            events.append(
                _Event(
                    index=index,
                    data=event,
                    key=order_import_key(
                        source=source, source_order_id=event.source_order_id
                    ),
                )
            )

    # 2.
    last_of_key = {event.key: event.index for event in events}
    superseded = {
        event.index for event in events if last_of_key[event.key] != event.index
    }
    events = [event for event in events if event.index not in superseded]

    # 3.
    plan = _clients_plan(events=events)
    for event in events:
        problem = plan.errors.get(event.data.client.external_id)
        if problem:
            errors[event.index].append(
                FieldError(
                    field=problem[0],
                    message=problem[1],
                    index=event.index,
                    source_order_id=event.data.source_order_id,
                )
            )
    result.warnings = plan.warnings

    # 4.
    all_errors = [error for index in sorted(errors) for error in errors[index]]
    if all_errors and not partial_ok:
        raise invalid_request(
            f"{len(errors)} of {len(raw_events)} event(s) are invalid; nothing was "
            "applied (add ?partial=true to apply the valid ones).",
            all_errors,
        )
    events = [event for event in events if event.index not in errors]

    # 5.
    try:
        with transaction.atomic():
            client_pks = _clients_write(plan=plan, result=result)
            outcomes, affected = _orders_upsert(
                events=events, client_pks=client_pks, result=result
            )
            clients_order_facts_refresh(client_pks=affected)
            # 6.
            rescored = sorted(affected)
            if rescored:
                from api.tasks import clients_rescore_enqueue_task

                task_enqueue_on_commit(clients_rescore_enqueue_task, rescored)
    except IntegrityError:
        raise ProblemError(
            status=409,
            slug="conflict",
            title="A concurrent write conflicted",
            detail=(
                "Another request created one of these clients or took one of "
                "these e-mails at the same moment; nothing was applied. Send the "
                "batch again."
            ),
        ) from None
    result.rescored_client_ids = rescored

    for index, raw in enumerate(raw_events):
        source_order_id = _raw_order_id(raw)
        if index in errors:
            outcome = "rejected"
        elif index in superseded:
            outcome = "superseded"
        else:
            outcome = outcomes[index]
        result.results.append(
            {"index": index, "source_order_id": source_order_id, "outcome": outcome}
        )
    result.rejected = len(errors)
    result.errors = all_errors
    return result


def clients_rescore_enqueue(*, client_ids: list[int]) -> int:
    """Publish one single-client rescore per client; return how many were published.

    The same task an admin save publishes; a redelivered fan-out only rescores
    some clients twice, which changes nothing.
    """
    return task_enqueue_each(rescore_client_task, client_ids)


def _raw_order_id(raw: Any) -> str | None:
    value = raw.get("source_order_id") if isinstance(raw, dict) else None
    return (value.strip() or None) if isinstance(value, str) else None


def _event_parse(
    *, index: int, raw: Any, today: dt.date
) -> tuple[OrderEventIn | None, list[FieldError]]:
    """Return the event, or the errors that name its fields."""
    source_order_id = _raw_order_id(raw)

    def error(name: str, message: str) -> FieldError:
        return FieldError(
            field=name, message=message, index=index, source_order_id=source_order_id
        )

    try:
        event = OrderEventIn.model_validate(raw)
    except ValidationError as exc:
        return None, [
            error(
                ".".join(str(part) for part in e["loc"]) or "(event)",
                e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors(include_url=False)
        ]
    found = []
    if event.items_kept > event.items_sent:
        found.append(
            error(
                "items_kept",
                f"Cannot keep {event.items_kept} items out of {event.items_sent} sent.",
            )
        )
    message = date_bounds_error(
        event.ordered_at,
        what="Order date",
        scheduled=event.status == OrderStatus.SCHEDULED,
        today=today,
    )
    if message:
        found.append(error("ordered_at", message))
    if event.shipped_at:
        message = date_bounds_error(event.shipped_at, what="Ship date", today=today)
        if message:
            found.append(error("shipped_at", message))
        elif event.shipped_at < event.ordered_at:
            found.append(
                error("shipped_at", "A Fix cannot ship before it was ordered.")
            )
    client = event.client
    if client.signup_date:
        message = date_bounds_error(client.signup_date, what="Signup date", today=today)
        if message:
            found.append(error("client.signup_date", message))
    if client.time_zone is not None:
        try:
            validate_time_zone(client.time_zone)
        except DjangoValidationError as exc:
            found.append(error("client.time_zone", exc.messages[0]))
    return event, found


@dataclass
class _ClientsPlan:
    existing: dict[str, Client] = field(default_factory=dict)
    new: dict[str, Client] = field(default_factory=dict)
    changed: dict[str, set[str]] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[FieldError] = field(default_factory=list)


def _clients_plan(*, events: list[_Event]) -> _ClientsPlan:
    """Work out which clients to create and what to change on the others."""
    plan = _ClientsPlan()
    wanted: dict[str, dict[str, Any]] = {}
    for event in events:  # later events' client fields win
        client = event.data.client
        wanted.setdefault(client.external_id, {}).update(
            client.model_dump(exclude_none=True, exclude={"external_id"})
        )
    plan.existing = {
        client.external_id: client
        for client in Client.objects.filter(external_id__in=list(wanted)).only(
            "pk", "external_id", *CLIENT_FIELDS, "marketing_consent", "unsubscribed_at"
        )
    }

    emails = {
        values["email"]
        for external_id, values in wanted.items()
        if "email" in values
        and (
            external_id not in plan.existing
            or plan.existing[external_id].email != values["email"]
        )
    }
    owner_of_email = dict(
        Client.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci__in=list(emails))
        .values_list("email_ci", "external_id")
    )
    for external_id, values in wanted.items():
        email = values.get("email")
        if email in emails:
            owner = owner_of_email.setdefault(email, external_id)
            if owner != external_id:
                plan.errors[external_id] = (
                    "client.email",
                    f"'{email}' is the e-mail of another client.",
                )
                continue
        client = plan.existing.get(external_id)
        if client is None:
            missing = [name for name in ("email", "first_name") if name not in values]
            if missing:
                plan.errors[external_id] = (
                    f"client.{missing[0]}",
                    f"{missing[0]} is required to create client '{external_id}'.",
                )
                continue
            plan.new[external_id] = Client(
                **{"marketing_consent": False, **values, "external_id": external_id}
            )
            continue
        changed = {
            name
            for name in CLIENT_FIELDS
            if name in values and getattr(client, name) != values[name]
        }
        consent = values.get("marketing_consent")
        if consent is False and client.marketing_consent:
            changed.add("marketing_consent")  # withdrawing is always allowed
        elif consent is True:
            refusal = consent_regrant_error(client=client, wanted=True)
            if refusal:
                plan.warnings.extend(
                    FieldError(
                        field="client.marketing_consent",
                        message=f"Not switched on: {refusal}.",
                        index=event.index,
                        source_order_id=event.data.source_order_id,
                    )
                    for event in events
                    if event.data.client.external_id == external_id
                    and event.data.client.marketing_consent
                )
        for name in changed:
            setattr(client, name, values[name])
        if changed:
            plan.changed[external_id] = changed
    return plan


def _clients_write(*, plan: _ClientsPlan, result: BatchResult) -> dict[str, int]:
    """Create and update the planned clients; return pk by external id."""
    pks = {
        external_id: client.pk
        for external_id, client in plan.existing.items()
        if external_id not in plan.errors
    }
    if plan.new:
        # ignore_conflicts: a client created meanwhile by a concurrent batch is
        # found below instead of failing this one.
        Client.objects.bulk_create(plan.new.values(), ignore_conflicts=True)
        found = dict(
            Client.objects.filter(external_id__in=list(plan.new)).values_list(
                "external_id", "pk"
            )
        )
        if len(found) < len(plan.new):
            raise IntegrityError("a new client's e-mail was taken meanwhile")
        pks.update(found)
        result.clients_created = len(plan.new)
    changed = {
        external_id: names
        for external_id, names in plan.changed.items()
        if external_id not in plan.errors
    }
    if changed:
        now = timezone.now()
        clients = [plan.existing[external_id] for external_id in changed]
        for client in clients:
            client.updated_at = now
        fields = [*sorted(set().union(*changed.values())), "updated_at"]
        Client.objects.bulk_update(clients, fields)
        result.clients_updated = len(clients)
    return pks


def _orders_upsert(
    *, events: list[_Event], client_pks: dict[str, int], result: BatchResult
) -> tuple[dict[int, str], set[int]]:
    """Insert new orders, update changed ones; return outcomes and clients touched."""
    stored = {
        row["import_key"]: row
        for row in Order.objects.filter(
            import_key__in=[event.key for event in events]
        ).values("import_key", "client_id", *ORDER_FACTS)
    }
    outcomes: dict[int, str] = {}
    affected: set[int] = set()
    writes: list[dict[str, Any]] = []
    for event in events:
        data = event.data
        values = {name: getattr(data, name) for name in ORDER_FACTS}
        values["status"] = data.status.value
        client_id = client_pks[data.client.external_id]
        old = stored.get(event.key)
        if old is None:
            outcomes[event.index] = "created"
            result.created += 1
        elif old["client_id"] == client_id and all(
            old[name] == values[name] for name in ORDER_FACTS
        ):
            outcomes[event.index] = "unchanged"
            result.unchanged += 1
            continue
        else:
            outcomes[event.index] = "updated"
            result.updated += 1
            affected.add(old["client_id"])  # an order moved away counts too
        affected.add(client_id)
        writes.append({"client_id": client_id, "import_key": event.key, **values})
    if writes and connection.vendor == "postgresql":
        keys = ("client_id", "import_key", *ORDER_FACTS)
        with connection.cursor() as cursor:
            cursor.execute(
                orders_upsert_sql(fields=ORDER_FACTS),
                [[row[key] for row in writes] for key in keys],
            )
    elif writes:
        Order.objects.bulk_create(
            [Order(**row) for row in writes],
            update_conflicts=True,
            unique_fields=["import_key"],
            update_fields=["client", *ORDER_FACTS],
        )
    return outcomes, affected
