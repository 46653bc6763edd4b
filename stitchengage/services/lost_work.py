"""The lost-work sweep: publish again what an on-commit publish lost.

An on-commit publish runs after its transaction committed; when the broker is
down it is logged and dropped (``emails.services.task_queue``), never raised
into the request. This sweep, run every ``LOST_WORK_SWEEP_INTERVAL_MINUTES``
(Celery beat "Lost-work sweep"; Zappa event ``lost_work_sweep`` on Lambda),
finds the work from the database and publishes it again, idempotently:

1. Rescores: clients whose latest order is newer than their score
   (``scoring.services.stale_scores``). First, so a client the rescore moves
   into at risk gets its draft from the rescore's own signal.
2. Drafts: at-risk clients whose current snapshot has no decision yet, first
   drafts left queued or abandoned, regenerated drafts stranded
   (``emails.services.draft_sweep``, through the drafting task's own
   eligibility and holdout rules).

Sends need no step here: the send dispatcher publishes every due approved
email, and again ``SEND_REDISPATCH_AFTER_SECONDS`` after a publish was lost.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LostWorkSweep:
    """Say what one sweep published."""

    rescores: int  # rescores published
    drafts: int  # first drafts published
    regenerated: int  # regenerated drafts published
    not_enqueued: int  # publishes that failed again: left for the next run


def lost_work_sweep() -> LostWorkSweep:
    """Run both steps; return what was published."""
    from emails.selectors import draft_sweep_snapshot_ids
    from emails.services.draft_sweep import drafts_sweep
    from scoring.services.stale_scores import stale_scores_rescore_enqueue

    rescores, stale = stale_scores_rescore_enqueue()
    drafts = drafts_sweep(snapshot_ids=draft_sweep_snapshot_ids())
    return LostWorkSweep(
        rescores=rescores,
        drafts=drafts.enqueued,
        regenerated=drafts.regenerated,
        not_enqueued=(stale - rescores)
        + drafts.not_enqueued
        + drafts.regenerated_not_enqueued,
    )
