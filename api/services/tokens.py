"""Issue, revoke and check API tokens.

A token is ``se_<prefix>_<secret>``: 8 visible hex characters and 32 random
bytes. Only its SHA-256 is stored; a random 256-bit secret needs no slow,
salted hash (nothing to brute-force), and a plain digest lets one indexed
lookup find the token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from api.models import ApiToken
from api.sql import token_use_sql

TOKEN_START = "se_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True)
class TokenUse:
    """Who called, with which scopes, and how many calls this minute."""

    token_id: int
    source: str
    scopes: frozenset[str]
    calls_this_minute: int
    retry_after: int  # seconds until the current minute's window ends


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def token_create(
    *, name: str, source: str, scopes: list[str], created_by=None
) -> tuple[ApiToken, str]:
    """Create a token; return it and its plaintext, which is never shown again."""
    token = ApiToken(
        name=name,
        source=source,
        scopes=" ".join(sorted(set(scopes))),
        created_by=created_by,
    )
    raw = token_fill_new(token=token)
    token.save()
    return token, raw


def token_fill_new(*, token: ApiToken) -> str:
    """Give an unsaved ``token`` (the admin's add form) a key; return the plaintext."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token.prefix = prefix
    token.key_hash = token_hash(raw)
    return raw


def tokens_revoke(*, token_ids: list[int]) -> int:
    """Revoke these tokens at once; return how many were still active."""
    return ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def token_use_record(*, raw: str) -> TokenUse | None:
    """Return the active token ``raw`` is, counting this call; None if it is none.

    One statement finds the token by its hash, counts the call in the current
    minute (rate limit) and stamps ``last_used_at``: the counter lives in the
    database because on Lambda each container has its own memory, and a
    cache service would be one more thing to run for a few requests a second.
    The statement: ``api.sql.token_use_sql``.
    """
    if not raw.startswith(TOKEN_START) or len(raw) > 100:
        return None
    now = time.time()
    window = int(now // 60)
    with connection.cursor() as cursor:
        cursor.execute(
            token_use_sql(), [window, window, timezone.now(), token_hash(raw)]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, source, scopes, count = row
    return TokenUse(
        token_id=token_id,
        source=source,
        scopes=frozenset(scopes.split()),
        calls_this_minute=count,
        retry_after=max(1, int((window + 1) * 60 - now + 0.999)),
    )
