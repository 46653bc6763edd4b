"""Entry points for Zappa scheduled events (see zappa_settings.json).

On Lambda there is no Celery beat process; the nightly rescoring, the send
dispatcher, the lost-work sweep and the import files cleanup run from EventBridge
schedules that call these functions directly.
"""

from __future__ import annotations

import django


def nightly_rescore(event: dict, context: object) -> int:
    """Rescore every client and thin old snapshots (the Celery beat job too)."""
    django.setup()
    from scoring.services.nightly import scoring_nightly

    return scoring_nightly().pk


def send_dispatch(event: dict, context: object) -> dict[str, int]:
    """Publish the approved emails whose send time has come (every few minutes)."""
    django.setup()
    from emails.services.dispatch import emails_dispatch

    outcome = emails_dispatch()
    return {
        "enqueued": outcome.enqueued,
        "not_enqueued": outcome.not_enqueued,
        "rescheduled": outcome.rescheduled,
    }


def lost_work_sweep(event: dict, context: object) -> dict[str, int]:
    """Publish again the rescores and drafts whose publish was lost (every 15 min)."""
    django.setup()
    from dataclasses import asdict

    from stitchengage.services.lost_work import lost_work_sweep as sweep

    return asdict(sweep())


def import_files_cleanup(event: dict, context: object) -> dict[str, int]:
    """Remove abandoned import previews and finished jobs' files (hourly)."""
    django.setup()
    from dataclasses import asdict

    from customers.services.import_files_cleanup import import_files_cleanup as clean

    return asdict(clean())
