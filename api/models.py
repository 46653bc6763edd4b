"""Per-integration API tokens: stored hashed, scoped, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TokenScope(models.TextChoices):
    ORDERS_WRITE = "orders:write", "orders:write (post order events)"
    CLIENTS_READ = "clients:read", "clients:read (read a client's scores)"
    EMAILS_READ = "emails:read", "emails:read (list re-engagement emails)"


class ApiToken(models.Model):
    """One integration's credential (a retailer system, a DynamoDB stream consumer).

    Only the SHA-256 of the token is stored: a database dump or an admin screen
    never shows a usable token. ``prefix`` is the token's visible start, so a
    Manager can tell tokens apart and match one in a log.
    """

    name = models.CharField(max_length=80, help_text="Who uses it, e.g. 'Shop ERP'.")
    source = models.SlugField(
        max_length=40,
        help_text=(
            "The source system. Orders are idempotent per (source, source order "
            "id): a replacement token for the same system keeps the same source."
        ),
    )
    scopes = models.CharField(
        max_length=200,
        help_text="Space-separated scopes (as OAuth writes them).",
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Fixed-window rate limit: the minute (Unix time // 60) and its request count.
    rate_window = models.BigIntegerField(default=0, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
