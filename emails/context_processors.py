"""Template context for admin pages."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def dashboard_link(request) -> dict:
    """Say whether to show the retention dashboard link (lazily: one check per page)."""
    from emails.dashboard_views import dashboard_allowed

    return {
        "can_see_dashboard": SimpleLazyObject(
            lambda: dashboard_allowed(user=request.user)
        )
    }
