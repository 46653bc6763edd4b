"""RFC 9457 problem details: every error the API answers is one of these.

``type`` is a URI reference relative to the API (``/api/v1/problems/<slug>``);
README "Order-event API" lists them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from django.http import HttpResponse

PROBLEM_TYPE_BASE = "/api/v1/problems/"
CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one event (``index`` None: the request)."""

    field: str
    message: str
    index: int | None = None
    source_order_id: str | None = None


class ProblemError(Exception):
    """Raised anywhere under the API; its handler answers the problem document."""

    def __init__(
        self,
        *,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


def problem_response(problem: ProblemError) -> HttpResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "errors": [asdict(error) for error in problem.errors],
    }
    response = HttpResponse(
        json.dumps(body), status=problem.status, content_type=CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def invalid_request(detail: str, errors: list[FieldError]) -> ProblemError:
    return ProblemError(
        status=422,
        slug="invalid-request",
        title="The request is not valid",
        detail=detail,
        errors=errors,
    )
