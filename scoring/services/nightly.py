"""The nightly scoring job, whichever scheduler starts it."""

from __future__ import annotations

import logging

from scoring.models import ScoringRun
from scoring.services.rescoring import clients_rescore
from scoring.services.snapshot_retention import snapshots_prune

logger = logging.getLogger(__name__)


def scoring_nightly() -> ScoringRun:
    """Rescore every client, then thin snapshots past their daily retention.

    Called by the Celery beat task and the Zappa scheduled event alike.
    """
    run = clients_rescore(trigger=ScoringRun.Trigger.NIGHTLY)
    pruned = snapshots_prune()
    logger.info(
        "Nightly run #%s scored %s clients; pruned %s snapshots older than %s",
        run.pk,
        run.n_clients,
        pruned.deleted,
        f"{pruned.cutoff:%Y-%m-%d}",
    )
    return run
