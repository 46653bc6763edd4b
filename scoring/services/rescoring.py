"""Rescore clients: the whole book (fit + predict) or one client (latest good fit).

Only an accepted fit scores anyone. A degenerate new fit (a parameter on the
optimiser's bound, no convergence, a non-finite likelihood; see
``scoring.fit_checks``) is recorded as rejected and the run scores with the
previous accepted fit instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Client, RiskTier
from scoring.bgnbd import BgNbdParams, bgnbd_fit
from scoring.churn_pipeline import ChurnFit, churn_fit_details
from scoring.fit_checks import churn_fit_problems
from scoring.gamma_gamma import GammaGammaParams, gamma_gamma_fit
from scoring.models import ModelFit, ScoreSnapshot, ScoringRun
from scoring.selectors import (
    OrderStats,
    model_fit_latest_accepted,
    order_book,
    order_stats,
    scoring_run_latest_full,
)
from scoring.services.churn_scoring import (
    churn_fit_from_model_fit,
    churn_score,
    churn_train,
    churn_trained_recently,
)
from scoring.services.predictions import (
    RfmInputs,
    book_score,
    client_scores,
    engagement_reference_from,
    rfm_inputs,
)
from scoring.services.score_writes import (
    score_columns,
    score_models_build,
    scores_write,
)
from scoring.signals import clients_moved_into_at_risk

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
PHASES = (
    "aggregate",
    "fit",
    "train",
    "predict",
    "write",
)  # progress() is called after each


class ModelFitRejectedError(RuntimeError):
    """The new fit is degenerate and there is no earlier accepted fit to use."""

    def __init__(self, fit: ModelFit) -> None:
        self.fit = fit
        super().__init__(
            f"Model fit #{fit.pk} rejected ({fit.rejected_reason}) and there is "
            "no earlier accepted fit to score with; nothing was scored."
        )


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


def _fit_fields(
    *,
    stats: OrderStats,
    inputs: RfmInputs,
    as_of_day: dt.date,
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams | None,
    fit_seconds: float,
) -> dict[str, object]:
    """Return the ``ModelFit`` columns of a fit on these statistics."""
    return {
        "n_clients": len(stats),
        "n_repeat_clients": int((inputs.frequency > 0).sum()),
        "data_start": dt.date(1970, 1, 1)
        + dt.timedelta(days=int(stats.first_day.min())),
        "data_end": as_of_day,
        "r": bgnbd.r,
        "alpha": bgnbd.alpha,
        "a": bgnbd.a,
        "b": bgnbd.b,
        "log_likelihood": bgnbd.log_likelihood,
        "gg_p": gamma_gamma.p if gamma_gamma else None,
        "gg_q": gamma_gamma.q if gamma_gamma else None,
        "gg_gamma": gamma_gamma.gamma if gamma_gamma else None,
        "fit_seconds": fit_seconds,
    }


def _fit_reject(
    *, fields: dict[str, object], problems: list[str]
) -> tuple[ModelFit, ModelFit]:
    """Record a degenerate fit as rejected; return it and the accepted fit to use.

    The rejected fit is saved at once, outside the run's transaction, so the
    record stays even when there is nothing to fall back on and the run stops
    before writing anything.
    """
    previous = model_fit_latest_accepted()
    rejected = ModelFit.objects.create(
        **fields, status=ModelFit.Status.REJECTED, rejected_reason="; ".join(problems)
    )
    if previous is None:
        raise ModelFitRejectedError(rejected)
    logger.warning(
        "Model fit #%s rejected (%s); scoring with fit #%s of %s",
        rejected.pk,
        rejected.rejected_reason,
        previous.pk,
        f"{previous.fitted_at:%Y-%m-%d}",
    )
    return rejected, previous


def _churn_scores(
    churn: ChurnFit,
    as_of: dt.datetime,
    as_of_day: dt.date,
    client_ids,
    *,
    single: bool = False,
    book=None,
) -> tuple[str, object, dict[int, list[str]]] | None:
    """Return (model, risk, reasons) of the shipped ranking, None for BG/NBD."""
    scored = churn_score(
        fit=churn,
        as_of=as_of,
        as_of_day=as_of_day,
        client_ids=client_ids,
        single=single,
        book=book,
    )
    if scored is None:
        return None
    risk, reasons = scored
    return churn.model, risk, reasons


def clients_rescore(
    *,
    trigger: str = ScoringRun.Trigger.MANUAL,
    as_of: dt.datetime | None = None,
    progress: Progress | None = None,
) -> ScoringRun:
    """Refit the churn model on the whole order book and rescore every client.

    1. Read every client's order summary (``customers.ClientOrderSummary``,
       one row per client, kept current by every order write); on SQLite,
       aggregate the orders instead.
    2. Fit BG/NBD and Gamma-Gamma. A degenerate fit is recorded as rejected
       and the previous accepted fit scores instead (``run.rejected_fit`` is
       set); with no accepted fit yet, raise ``ModelFitRejectedError`` before
       anything is written.
    3. Train the churn ranking on a sample of client x cut-off rows
       (``scoring.churn_pipeline``: trees, BG/NBD or a baseline, whichever
       its own backtest ranks best; stored on the fit), unless the latest
       accepted fit's ranking is younger than ``SCORING_MODEL_RETRAIN_DAYS``:
       then that one scores again and is stored on the new fit.
    4. Predict, vectorised; tiers apply to the shipped calibrated risk.
    5. Write the fit (if accepted), the run and every snapshot and current
       score in one transaction; announce clients newly at risk on commit.
    """
    say = progress or (lambda message: None)
    as_of = as_of or timezone.now()
    as_of_day = timezone.localtime(as_of).date()
    phases: dict[str, float] = {}

    started = time.perf_counter()
    book = None
    if connection.vendor == "postgresql":
        # One read of the order summaries feeds the fit, training and predict.
        read = order_book(as_of=as_of)
        stats, book = read.stats, read.parts
        del read
    else:
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
    fields = _fit_fields(
        stats=stats,
        inputs=inputs,
        as_of_day=as_of_day,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        fit_seconds=phases["fit"],
    )
    fitted = (
        f"fitted BG/NBD r={bgnbd.r:.3f} alpha={bgnbd.alpha:.2f} "
        f"a={bgnbd.a:.3g} b={bgnbd.b:.3g}"
    )
    rejected = used = None
    problems = churn_fit_problems(bgnbd=bgnbd, gamma_gamma=gamma_gamma)
    if problems:
        rejected, used = _fit_reject(fields=fields, problems=problems)
        bgnbd, gamma_gamma = _fit_params(used)
        fitted += f"; rejected, scoring with fit #{used.pk}"
    say(fitted)

    # The churn ranking: trained with the BG/NBD fit that scores; a rejected
    # fit's run keeps the ranking of the fit it falls back on.
    started = time.perf_counter()
    latest = model_fit_latest_accepted() if used is None else None
    if used is None and churn_trained_recently(fit=latest, as_of=as_of):
        # Steady state: the stored ranking scores; the BG/NBD refit is cheap.
        churn = churn_fit_from_model_fit(latest, bgnbd)
        fields |= {
            "churn_model": latest.churn_model,
            "churn_booster": latest.churn_booster,
            "churn_details": latest.churn_details | {"reused_from_fit": latest.pk},
        }
        trained = f"reused from fit #{latest.pk}"
    elif used is None:
        churn = churn_train(
            as_of=as_of,
            as_of_day=as_of_day,
            n_clients=len(stats),
            bgnbd=bgnbd,
            book=book,
        )
        fields |= {
            "churn_model": churn.model,
            "churn_booster": churn.booster or "",
            "churn_details": churn_fit_details(churn)
            | {
                "trained_at": as_of.isoformat(),
                "trained_for": settings.SCORING_CHURN_MODEL,
            },
        }
        trained = "trained"
    else:
        churn = churn_fit_from_model_fit(used, bgnbd)
        trained = f"from fit #{used.pk}"
    phases["train"] = time.perf_counter() - started
    say(
        f"churn ranking: {churn.model} ({churn.reason}); {trained}, "
        f"{churn.train_rows:,} training rows; {phases['train']:.1f}s"
    )

    started = time.perf_counter()
    reference, scores = book_score(
        stats=stats,
        inputs=inputs,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        churn=_churn_scores(churn, as_of, as_of_day, stats.client_ids, book=book),
    )
    del book
    phases["predict"] = time.perf_counter() - started
    at_risk = int((scores.tiers == RiskTier.AT_RISK).sum())
    say(f"predicted churn, orders and CLV; {at_risk:,} at risk")

    started = time.perf_counter()
    with transaction.atomic():
        fit = used or ModelFit.objects.create(**fields)
        run = ScoringRun.objects.create(
            trigger=trigger,
            model_fit=fit,
            rejected_fit=rejected,
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
            reasons=scores.churn_reasons,
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
    """Rescore one client with the latest accepted fit (no refit).

    Returns None when there is no accepted fit yet or the client has no orders.
    The snapshot is saved with ``save()`` so its post_save signal fires.
    """
    fit = model_fit_latest_accepted()
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
    churn = churn_fit_from_model_fit(fit, bgnbd)
    scores = client_scores(
        stats=stats,
        inputs=inputs,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        engagement_reference=reference,
        churn=_churn_scores(churn, as_of, as_of_day, stats.client_ids, single=True),
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
        (snapshot,), (current,) = score_models_build(
            run=run,
            columns=score_columns(stats=stats, scores=scores),
            as_of=as_of,
            as_of_day=as_of_day,
            reasons=scores.churn_reasons,
        )
        snapshot.save()
        current.snapshot = snapshot
        current.save()
    return snapshot
