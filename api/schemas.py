"""Request and response shapes of the API (pydantic, through django-ninja).

Schemas check types, lengths and ranges; rules that need the database or the
calendar (date bounds, e-mail taken, consent) are the service's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from customers.amounts import amount_parse
from customers.models import OrderStatus
from emails.models import EmailStatus

MAX_BATCH_EVENTS = 500
_MAX_AMOUNT = Decimal("99999999.99")  # Order.amount: max_digits=10, decimal_places=2


def _amount(value: Any) -> Decimal:
    """Read a plain decimal (``12``, ``12.5``, ``"12.50"``) as the CSV import does."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError('must be a plain decimal, e.g. 12.50 or "12.50"')
    amount = amount_parse(str(value))  # refuses 1e3, NaN, 1,000.00 ...
    if amount < 0:
        raise ValueError(f"'{value}' is negative")
    if amount > _MAX_AMOUNT:
        raise ValueError(f"'{value}' is larger than {_MAX_AMOUNT}")
    if -amount.as_tuple().exponent > 2:
        raise ValueError(f"'{value}' has more than 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def _email(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().lower()
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError(f"'{value}' is not an e-mail address") from None
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"},
                {"type": "number", "minimum": 0},
            ],
            "examples": ["148.00"],
        }
    ),
]
Email = Annotated[str, BeforeValidator(_email), StringConstraints(max_length=254)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
]
Items = Annotated[StrictInt, Field(ge=0, le=32767)]


class _Strict(BaseModel):
    # Unknown fields are refused: a misspelt "ammount" must not pass as "no amount".
    # Plain pydantic, not ninja's Schema: its attribute-reading root validator
    # tripled the cost of validating 500 events.
    model_config = ConfigDict(extra="forbid")


class ClientIn(_Strict):
    """The client an order belongs to, created or updated by ``external_id``."""

    external_id: Identifier
    email: Email | None = Field(None, description="Required for a new client.")
    first_name: Annotated[Text, StringConstraints(min_length=1)] | None = Field(
        None, description="Required for a new client."
    )
    last_name: Text | None = None
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="IANA name, e.g. America/Chicago."
    )
    signup_date: dt.date | None = None
    marketing_consent: StrictBool | None = Field(
        None,
        description=(
            "Recorded for a new client. For an existing client it may only be "
            "withdrawn (false); true is ignored with a warning when the client has "
            "not opted in or unsubscribed."
        ),
    )


class OrderEventIn(_Strict):
    """One order (a Fix) as the source system has it now."""

    source_order_id: Identifier = Field(
        description="The order's id in the source system; the idempotency key."
    )
    client: ClientIn
    ordered_at: AwareDatetime
    shipped_at: AwareDatetime | None = None
    status: OrderStatus
    items_sent: Items = 5
    items_kept: Items = 0
    kept_items: Annotated[str, StringConstraints(max_length=255)] = ""
    amount: Amount
    rating: Annotated[StrictInt, Field(ge=1, le=5)] | None = None
    feedback_comment: Annotated[str, StringConstraints(max_length=5000)] = ""


class OrderBatchIn(_Strict):
    """Up to 500 order events, applied in one transaction."""

    orders: list[OrderEventIn] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class ProblemError(Schema):
    index: int | None = Field(None, description="Position of the event, from 0.")
    source_order_id: str | None = None
    field: str = Field(description="Dotted path, e.g. 'client.email'.")
    message: str


class Problem(Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] = []


class EventResult(Schema):
    index: int
    source_order_id: str | None
    outcome: str = Field(
        description="created, updated, unchanged, superseded (a later event in "
        "the batch has the same source_order_id) or rejected (partial=true)."
    )


class BatchResultOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    clients_created: int
    clients_updated: int
    results: list[EventResult]
    errors: list[ProblemError] = Field(
        description="Why events were rejected (partial=true only)."
    )
    warnings: list[ProblemError]


class ScoresOut(Schema):
    risk_tier: str
    engagement_score: int
    churn_risk: float
    p_alive: float
    clv: Decimal
    scored_at: dt.datetime


class LastOrderOut(Schema):
    ordered_at: dt.datetime
    status: str
    amount: Decimal
    source_order_id: str | None


class LatestEmailOut(Schema):
    id: int
    status: str
    subject: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class ClientOut(Schema):
    external_id: str
    email: str
    first_name: str
    last_name: str
    tier: str
    order_count: int
    scores: ScoresOut | None
    last_order: LastOrderOut | None
    latest_email: LatestEmailOut | None


class EmailOut(Schema):
    id: int
    client_external_id: str | None
    status: str
    subject: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class EmailPageOut(Schema):
    items: list[EmailOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class EmailFilter(Schema):
    status: EmailStatus | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)
