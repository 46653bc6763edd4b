"""The order-event API, v1 (django-ninja): thin views over services and selectors.

OpenAPI at ``/api/v1/openapi.json``, Swagger UI at ``/api/v1/docs``. Every error
is RFC 9457 problem details (``api.problems``).
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api.auth import ScopedToken
from api.models import TokenScope
from api.problems import FieldError, ProblemError, invalid_request, problem_response
from api.schemas import (
    MAX_BATCH_EVENTS,
    BatchResultOut,
    ClientOut,
    EmailFilter,
    EmailPageOut,
    OrderBatchIn,
    Problem,
)
from api.selectors import client_standing_get, emails_page
from api.services.order_events import order_batch_apply

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Order events from the retailer's systems (and DynamoDB streams), and reads of
client standing and re-engagement emails.

**Auth**: `Authorization: Bearer se_...`, a per-integration token that a
Manager creates in the admin (API tokens), with scopes `orders:write`,
`clients:read`, `emails:read`. **Errors**: RFC 9457 problem details
(`application/problem+json`) with an `errors` list naming the event (`index`,
`source_order_id`) and the `field`. **Batches** are all or nothing unless
`?partial=true`. **Rate limit**: per token per minute; 429 with `Retry-After`.
"""


class ProblemNinjaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also holds the hand-validated batch schema."""

    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        batch = OrderBatchIn.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(batch.pop("$defs", {}))
        components["OrderBatchIn"] = batch
        return schema


api = ProblemNinjaAPI(
    title="StitchEngage order-event API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
)

_PROBLEMS = dict.fromkeys((400, 401, 403, 404, 413, 415, 422, 429), Problem)


@api.exception_handler(ProblemError)
def _problem(request: HttpRequest, exc: ProblemError) -> HttpResponse:
    return problem_response(exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        ProblemError(
            status=401,
            slug="unauthenticated",
            title="No valid API token",
            detail="Send 'Authorization: Bearer <token>' with an active API token.",
        )
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        FieldError(
            # ninja's loc starts with where the value came from ("query", ...).
            field=".".join(str(part) for part in error["loc"][1:]) or "(request)",
            message=str(error["msg"]).removeprefix("Value error, "),
        )
        for error in exc.errors
    ]
    return problem_response(invalid_request("The request is not valid.", errors))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(
        ProblemError(
            status=exc.status_code, slug="error", title=str(exc), detail=str(exc)
        )
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(
        ProblemError(status=404, slug="not-found", title="Not found", detail=str(exc))
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return problem_response(
        ProblemError(
            status=500,
            slug="internal",
            title="Internal error",
            detail="Something went wrong on our side; the batch was not applied.",
        )
    )


def _batch_read(request: HttpRequest) -> list[Any]:
    """Return the events of the body, or raise the problem that says why not."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ProblemError(
            status=415,
            slug="unsupported-media-type",
            title="Send JSON",
            detail="The body must be application/json.",
        )
    try:
        body = json.loads(request.body, parse_float=Decimal)
    except RequestDataTooBig:
        raise ProblemError(
            status=413,
            slug="too-large",
            title="The body is too large",
            detail=f"Send at most {MAX_BATCH_EVENTS} events per request.",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ProblemError(
            status=400,
            slug="malformed-json",
            title="The body is not JSON",
            detail=f"The body is not valid JSON ({exc}).",
        ) from None
    if not isinstance(body, dict) or set(body) != {"orders"}:
        raise invalid_request(
            "The body must be an object with one key, 'orders'.",
            [FieldError(field="orders", message='Send {"orders": [...]}.')],
        )
    orders = body["orders"]
    if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_BATCH_EVENTS:
        raise invalid_request(
            f"'orders' must be a list of 1 to {MAX_BATCH_EVENTS} events.",
            [
                FieldError(
                    field="orders",
                    message=f"Between 1 and {MAX_BATCH_EVENTS} events, got "
                    f"{len(orders) if isinstance(orders, list) else 'no list'}.",
                )
            ],
        )
    return orders


@api.post(
    "/orders",
    auth=ScopedToken(TokenScope.ORDERS_WRITE),
    response={200: BatchResultOut, 409: Problem, **_PROBLEMS},
    summary="Record a batch of order events",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/OrderBatchIn"}
                }
            },
        }
    },
)
def orders_post(request: HttpRequest, partial: bool = False):
    """Create or update up to 500 orders and their clients, idempotently.

    Each event is keyed by the token's source and its `source_order_id`: sent
    again it changes nothing; changed, it updates the order. All or nothing by
    default: one invalid event answers 422 and nothing is applied. With
    `?partial=true` the valid events are applied and the others reported in
    `errors` (200).
    """
    # The body is validated here, event by event, rather than by ninja, so that
    # partial=true can apply the good events of a batch with a malformed one.
    result = order_batch_apply(
        source=request.auth.source,
        raw_events=_batch_read(request),
        partial_ok=partial,
    )
    return result


@api.get(
    "/clients/{external_id}",
    auth=ScopedToken(TokenScope.CLIENTS_READ),
    response={200: ClientOut, **_PROBLEMS},
    summary="A client's tier, scores, last order and latest email",
)
def client_get(request: HttpRequest, external_id: str):
    standing = client_standing_get(external_id=external_id)
    if standing is None:
        raise Http404(f"No client with external id '{external_id}'.")
    return standing


@api.get(
    "/emails",
    auth=ScopedToken(TokenScope.EMAILS_READ),
    response={200: EmailPageOut, **_PROBLEMS},
    summary="Re-engagement emails, newest first",
)
def emails_list(request: HttpRequest, filters: Query[EmailFilter]):
    items, next_cursor = emails_page(
        status=filters.status, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": items, "next_cursor": next_cursor}
