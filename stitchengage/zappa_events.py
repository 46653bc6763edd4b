"""Entry points for Zappa scheduled events (see zappa_settings.json).

On Lambda there is no Celery beat process; the nightly rescoring runs from an
EventBridge schedule that calls this function directly.
"""

from __future__ import annotations

import django


def nightly_rescore(event: dict, context: object) -> int:
    """Rescore every client (the same job as the Celery beat schedule)."""
    django.setup()
    from scoring.models import ScoringRun
    from scoring.services.rescoring import score_clients_all

    return score_clients_all(trigger=ScoringRun.Trigger.NIGHTLY).pk
