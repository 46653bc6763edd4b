"""Rescore clients: the whole book (fit + predict) or one client (latest fit)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from customers.models import Client, RiskTier
from scoring.bgnbd import BgNbdParams, bgnbd_fit
from scoring.gamma_gamma import GammaGammaParams, gamma_gamma_fit
from scoring.models import ModelFit, ScoreSnapshot, ScoringRun
from scoring.selectors import model_fit_latest, order_stats, scoring_run_latest_full
from scoring.services.predictions import (
    book_scores,
    client_scores,
    engagement_reference_from,
    rfm_inputs,
)
from scoring.services.score_writes import score_columns, score_models, scores_write
from scoring.signals import clients_moved_into_at_risk

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
PHASES = ("aggregate", "fit", "predict", "write")  # progress() is called after each


def _fit_params(fit: ModelFit) -> tuple[BgNbdParams, GammaGammaParams | None]:
    bg = BgNbdParams(
        r=fit.r,
        alpha=fit.alpha,
        a=fit.a,
        b=fit.b,
        log_likelihood=fit.log_likelihood,
        n=fit.n_clients,
    )
    gg = None
    if fit.gg_p is not None:
        gg = GammaGammaParams(
            p=fit.gg_p, q=fit.gg_q, gamma=fit.gg_gamma, log_likelihood=0.0, n=0
        )
    return bg, gg


def score_clients_all(
    *,
    trigger: str = ScoringRun.Trigger.MANUAL,
    as_of: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ScoringRun:
    """Refit the churn model on the whole order book and rescore every client.

    One aggregation query, one fit, vectorised predictions, bulk writes in one
    transaction. Clients newly at risk are announced once the writes commit.
    """
    say = progress or (lambda message: None)
    as_of = as_of or timezone.now()
    as_of_day = timezone.localtime(as_of).date()
    phases: dict[str, float] = {}

    started = time.perf_counter()
    stats = order_stats(as_of=as_of)
    phases["aggregate"] = time.perf_counter() - started
    say(f"aggregated {len(stats):,} clients with orders")
    if len(stats) == 0:
        run = ScoringRun.objects.create(trigger=trigger, finished_at=timezone.now())
        return run

    started = time.perf_counter()
    inputs = rfm_inputs(stats=stats, as_of_day=as_of_day)
    bgnbd = bgnbd_fit(frequency=inputs.frequency, recency=inputs.recency, T=inputs.T)
    try:
        gamma_gamma = gamma_gamma_fit(
            frequency=inputs.frequency, monetary=inputs.monetary
        )
    except (ValueError, RuntimeError) as exc:
        logger.warning("Gamma-Gamma fit skipped: %s", exc)
        gamma_gamma = None
    phases["fit"] = time.perf_counter() - started
    say(
        f"fitted BG/NBD r={bgnbd.r:.3f} alpha={bgnbd.alpha:.2f} "
        f"a={bgnbd.a:.3f} b={bgnbd.b:.3f}"
    )

    started = time.perf_counter()
    reference, scores = book_scores(
        stats=stats, inputs=inputs, bgnbd=bgnbd, gamma_gamma=gamma_gamma
    )
    phases["predict"] = time.perf_counter() - started
    at_risk = int((scores.tiers == RiskTier.AT_RISK).sum())
    say(f"predicted churn, orders and CLV; {at_risk:,} at risk")

    started = time.perf_counter()
    with transaction.atomic():
        fit = ModelFit.objects.create(
            n_clients=len(stats),
            n_repeat_clients=int((inputs.frequency > 0).sum()),
            data_start=dt.date(1970, 1, 1)
            + dt.timedelta(days=int(stats.first_day.min())),
            data_end=as_of_day,
            r=bgnbd.r,
            alpha=bgnbd.alpha,
            a=bgnbd.a,
            b=bgnbd.b,
            log_likelihood=bgnbd.log_likelihood,
            gg_p=gamma_gamma.p if gamma_gamma else None,
            gg_q=gamma_gamma.q if gamma_gamma else None,
            gg_gamma=gamma_gamma.gamma if gamma_gamma else None,
            fit_seconds=phases["fit"],
        )
        run = ScoringRun.objects.create(
            trigger=trigger,
            model_fit=fit,
            n_clients=len(stats),
            tier_counts=dict(Counter(scores.tiers.tolist())),
            engagement_reference=reference,
        )
        moved = scores_write(
            run=run,
            columns=score_columns(stats=stats, scores=scores),
            as_of=as_of,
            as_of_day=as_of_day,
            replace_all=True,
        )
        phases["write"] = time.perf_counter() - started
        run.phase_seconds = {k: round(v, 3) for k, v in phases.items()}
        run.finished_at = timezone.now()
        run.save(update_fields=["phase_seconds", "finished_at"])
        if moved:
            transaction.on_commit(
                lambda: clients_moved_into_at_risk.send(
                    sender=ScoringRun, snapshot_ids=moved
                )
            )
    say(f"wrote {len(stats):,} snapshots; {len(moved):,} clients moved into at risk")
    return run


def score_client_one(
    *,
    client_id: int,
    trigger: str = ScoringRun.Trigger.ORDER,
    as_of: dt.datetime | None = None,
) -> ScoreSnapshot | None:
    """Rescore one client with the latest fit (no refit).

    Returns None when there is no fit yet or the client has no orders. The
    snapshot is saved with ``save()`` so its post_save signal fires.
    """
    fit = model_fit_latest()
    if fit is None:
        return None
    as_of = as_of or timezone.now()
    as_of_day = timezone.localtime(as_of).date()
    stats = order_stats(as_of=as_of, client_ids=[client_id])
    if len(stats) == 0:
        return None
    reference_run = scoring_run_latest_full()
    reference = reference_run.engagement_reference if reference_run else {}
    inputs = rfm_inputs(stats=stats, as_of_day=as_of_day)
    if not reference:
        reference = engagement_reference_from(inputs)
    bgnbd, gamma_gamma = _fit_params(fit)
    scores = client_scores(
        stats=stats,
        inputs=inputs,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        engagement_reference=reference,
    )
    with transaction.atomic():
        # One rescoring of a client at a time: the second waits, then overwrites.
        Client.objects.select_for_update().only("pk").get(pk=client_id)
        run = ScoringRun.objects.create(
            trigger=trigger,
            model_fit=fit,
            n_clients=1,
            tier_counts={scores.tiers[0]: 1},
            finished_at=timezone.now(),
        )
        (snapshot,), (current,) = score_models(
            run=run,
            columns=score_columns(stats=stats, scores=scores),
            as_of=as_of,
            as_of_day=as_of_day,
        )
        snapshot.save()
        current.snapshot = snapshot
        current.save()
    return snapshot
