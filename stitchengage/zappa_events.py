"""Entry points for Zappa scheduled events (see zappa_settings.json).

On Lambda there is no Celery beat process; the nightly rescoring runs from an
EventBridge schedule that calls this function directly.
"""

from __future__ import annotations

import django


def nightly_rescore(event: dict, context: object) -> int:
    """Rescore every client and thin old snapshots (the Celery beat job too)."""
    django.setup()
    from scoring.services.nightly import scoring_nightly

    return scoring_nightly().pk
