"""Experiments: which one is running, its prompt variants, starting and stopping it.

One experiment at a time is active (a partial unique index holds it); drafting
assigns every new at-risk entry to it: holdout or treatment by one hash
(``holdout.holdout_draw``), and, in treatment, a prompt variant by a second,
independent hash of experiment and client, split by the variants' weights. When
no experiment is active the settings describe the default one
(``REENGAGEMENT_EXPERIMENT``, ``REENGAGEMENT_HOLDOUT_SHARE``, one variant
``EMAIL_PROMPT_VERSION``), which is how drafting worked before experiments were
rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from emails.drafting.prompts import prompt_load
from emails.models import Experiment, RetentionAssignment
from emails.services.experiment_stats import ALPHA, POWER, sample_size_per_arm
from emails.services.outcomes import group_outcome

DEFAULT_MDE = 0.05
DEFAULT_BASELINE = 0.15
# Closed windows of past treatment before their rate is trusted as the baseline.
BASELINE_MIN_WINDOWS = 100


class ExperimentError(ValueError):
    """Raised when an experiment cannot be started or stopped as asked."""


@dataclass(frozen=True, slots=True)
class Variant:
    prompt_version: str
    weight: float


@dataclass(frozen=True, slots=True)
class ExperimentPlan:
    """What drafting needs of the running experiment to assign a client."""

    name: str
    holdout_share: float
    variants: tuple[Variant, ...]


def experiment_plan_from(
    *, name: str, holdout_share: float, variants
) -> ExperimentPlan:
    """Return the plan of an experiment's stored fields (``variants`` as JSON)."""
    return ExperimentPlan(
        name=name,
        holdout_share=holdout_share,
        variants=tuple(
            Variant(prompt_version=str(v["prompt_version"]), weight=float(v["weight"]))
            for v in variants
        ),
    )


def experiment_plan_default() -> ExperimentPlan:
    """Return the settings' experiment, used while no experiment row is active."""
    return ExperimentPlan(
        name=settings.REENGAGEMENT_EXPERIMENT,
        holdout_share=settings.REENGAGEMENT_HOLDOUT_SHARE,
        variants=(Variant(prompt_version=settings.EMAIL_PROMPT_VERSION, weight=1.0),),
    )


def experiment_active() -> Experiment | None:
    """Return the running experiment, if a row is active."""
    return Experiment.objects.filter(stopped_at__isnull=True).first()


def experiment_plan_current() -> ExperimentPlan:
    """Return the plan new at-risk entries are assigned by."""
    active = experiment_active()
    if active is None:
        return experiment_plan_default()
    return experiment_plan_from(
        name=active.name, holdout_share=active.holdout_share, variants=active.variants
    )


def variant_draw(*, experiment: str, client_id: int) -> float:
    """Return a reproducible draw in [0, 1) for a client's variant.

    Salted apart from the holdout draw, so the split of the treatment group does
    not depend on how close a client came to being held out.
    """
    digest = hashlib.sha256(f"{experiment}:variant:{client_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def variant_pick(*, plan: ExperimentPlan, client_id: int) -> str:
    """Return the prompt version a treated client gets, by the variants' weights."""
    if len(plan.variants) == 1:
        return plan.variants[0].prompt_version
    total = sum(v.weight for v in plan.variants)
    point = variant_draw(experiment=plan.name, client_id=client_id) * total
    cumulative = 0.0
    for variant in plan.variants:
        cumulative += variant.weight
        if point < cumulative:
            return variant.prompt_version
    return plan.variants[-1].prompt_version  # float rounding at the very top


def experiment_baseline_estimate() -> float:
    """Return the treated re-engagement rate so far, or ``DEFAULT_BASELINE``.

    Intention to treat over closed windows of every experiment: what a new
    prompt has to beat. Too few windows and the default is used instead.
    """
    treated = group_outcome(
        queryset=RetentionAssignment.objects.filter(
            group=RetentionAssignment.Group.TREATMENT
        ),
        start_field="assigned_at",
        days=settings.REENGAGEMENT_ATTRIBUTION_DAYS,
        as_of=timezone.now(),
    )
    if treated.closed < BASELINE_MIN_WINDOWS or not 0 < treated.rate < 1:
        return DEFAULT_BASELINE
    return treated.rate


def _variants_checked(
    prompt_versions: Sequence[str], weights: Sequence[float] | None
) -> list[dict[str, object]]:
    versions = [v.strip() for v in prompt_versions if v.strip()]
    if not versions:
        raise ExperimentError("An experiment needs at least one prompt version.")
    if len(set(versions)) != len(versions):
        raise ExperimentError("Each prompt version may appear once.")
    for version in versions:
        try:
            prompt_load(version=version)
        except (ValueError, LookupError) as exc:
            raise ExperimentError(str(exc)) from exc
    weights = list(weights) if weights else [100 / len(versions)] * len(versions)
    if len(weights) != len(versions):
        raise ExperimentError(
            f"{len(weights)} weights for {len(versions)} prompt versions."
        )
    if any(not math.isfinite(w) or w <= 0 for w in weights):
        raise ExperimentError("Weights must be positive numbers.")
    return [
        {"prompt_version": v, "weight": w}
        for v, w in zip(versions, weights, strict=True)
    ]


def experiment_design(
    *,
    name: str,
    prompt_versions: Sequence[str],
    weights: Sequence[float] | None = None,
    holdout_share: float | None = None,
    mde: float | None = None,
    baseline: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> dict[str, object]:
    """Return the fields of a new experiment, checked and planned; write nothing.

    1. Check the name (new, and no assignments recorded under it), the prompt
       versions (each must load) and the weights (default: equal).
    2. Plan the fixed horizon: ``baseline`` (default: the treated rate so far,
       ``experiment_baseline_estimate``) and the MDE give the closed windows
       each variant needs at ``alpha`` and ``power``.
    3. Refuse while another experiment runs: stop it first.
    """
    name = name.strip()
    if not name or len(name) > Experiment._meta.get_field("name").max_length:
        raise ExperimentError("An experiment needs a name of 1 to 64 characters.")
    variants = _variants_checked(prompt_versions, weights)
    share = (
        settings.REENGAGEMENT_HOLDOUT_SHARE if holdout_share is None else holdout_share
    )
    if not 0 <= share < 1:
        raise ExperimentError("The holdout share must be in [0, 1).")
    if Experiment.objects.filter(name=name).exists():
        raise ExperimentError(f"An experiment named {name!r} exists already.")
    if RetentionAssignment.objects.filter(experiment=name).exists():
        raise ExperimentError(
            f"Clients were already assigned under {name!r}; choose a new name."
        )
    active = experiment_active()
    if active is not None:
        raise ExperimentError(f"Experiment {active.name!r} is running; stop it first.")
    mde = DEFAULT_MDE if mde is None else mde
    if baseline is None:
        baseline = experiment_baseline_estimate()
    planned = None
    if len(variants) > 1:
        try:
            planned = sample_size_per_arm(
                baseline=baseline,
                mde=mde,
                alpha=_comparison_alpha(alpha, variants),
                power=power,
            )
        except ValueError as exc:
            raise ExperimentError(str(exc)) from exc
    return {
        "name": name,
        "variants": variants,
        "holdout_share": share,
        "baseline_rate": baseline,
        "min_detectable_effect": mde,
        "alpha": alpha,
        "power": power,
        "planned_n_per_arm": planned,
    }


def experiment_start(*, now: dt.datetime | None = None, **design) -> Experiment:
    """Start an experiment (``experiment_design``'s arguments) and return it.

    The partial unique index settles two managers starting at once.
    """
    fields = experiment_design(**design)
    try:
        with transaction.atomic():
            return Experiment.objects.create(**fields, started_at=now or timezone.now())
    except IntegrityError as exc:  # started concurrently
        raise ExperimentError("Another experiment was started meanwhile.") from exc


def _comparison_alpha(alpha: float, variants: Sequence[Mapping[str, object]]) -> float:
    """Return the level of each challenger-vs-control test (Bonferroni)."""
    return alpha / max(len(variants) - 1, 1)


def experiment_comparison_alpha(experiment: Experiment) -> float:
    """Return the level each variant is tested at against the first (control)."""
    return _comparison_alpha(experiment.alpha, experiment.variants)


def experiment_stop(*, name: str, now: dt.datetime | None = None) -> Experiment:
    """Stop a running experiment: new at-risk entries go to the default one."""
    experiment = Experiment.objects.filter(name=name).first()
    if experiment is None:
        raise ExperimentError(f"No experiment named {name!r}.")
    if experiment.stopped_at is not None:
        raise ExperimentError(
            f"Experiment {name!r} stopped already, on {experiment.stopped_at:%Y-%m-%d}."
        )
    experiment.stopped_at = now or timezone.now()
    experiment.save(update_fields=["stopped_at"])
    return experiment
