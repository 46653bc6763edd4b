"""Bearer-token authentication with a scope per operation and a rate limit."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from api.problems import ProblemError
from api.services.tokens import TokenUse, token_use_record


class ScopedToken(HttpBearer):
    """Accept an active API token that has ``scope``; count the call.

    401: no token, or not an active one. 403: a good token without the scope.
    429: the token's calls this minute are over ``API_RATE_LIMIT_PER_MINUTE``.
    """

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> TokenUse | None:
        use = token_use_record(raw=token.strip())
        if use is None:
            return None
        if self.scope not in use.scopes:
            raise ProblemError(
                status=403,
                slug="missing-scope",
                title="The token lacks a scope",
                detail=f"This operation needs the scope '{self.scope}'.",
            )
        limit = settings.API_RATE_LIMIT_PER_MINUTE
        if use.calls_this_minute > limit:
            raise ProblemError(
                status=429,
                slug="rate-limited",
                title="Too many requests",
                detail=f"At most {limit} requests a minute per token; retry after "
                f"{use.retry_after} s.",
                headers={"Retry-After": str(use.retry_after)},
            )
        return use
