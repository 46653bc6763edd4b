"""Is a fit usable? The one rule the scoring run and the CSV commands share.

A maximum-likelihood fit is degenerate when a parameter ends on the
optimiser's box (``BOUNDS`` in ``scoring.bgnbd``, which Gamma-Gamma shares),
the optimiser did not converge, or the log-likelihood is not finite. A
parameter on the box is not an estimate: the likelihood still rose towards
the edge, usually because the data are poisoned (one order dated 0001-01-01
drove BG/NBD's ``b`` to 1e6) or the model's story does not fit the book.
"""

from __future__ import annotations

import math

from scoring.bgnbd import BOUNDS, BgNbdParams
from scoring.gamma_gamma import GammaGammaParams

# L-BFGS-B projects onto the box, so a hit lands on the bound to rounding; 0.1%
# also catches one stopped just inside, and is far from any fitted value.
BOUND_RELATIVE_TOLERANCE = 1e-3


def bound_hits(
    *,
    values: dict[str, float],
    bounds: tuple[float, float],
    rel_tol: float = BOUND_RELATIVE_TOLERANCE,
) -> list[str]:
    """Return "name=value at its lower/upper bound (x)" per parameter on the box."""
    low, high = bounds
    hits = []
    for name, value in values.items():
        if value <= low * (1.0 + rel_tol):
            hits.append(f"{name}={value:.4g} at its lower bound ({low:g})")
        elif value >= high / (1.0 + rel_tol):
            hits.append(f"{name}={value:.4g} at its upper bound ({high:g})")
    return hits


def _fit_problems(
    model: str, hits: list[str], *, converged: bool, log_likelihood: float
) -> list[str]:
    problems = list(hits)
    if not converged:
        problems.append("optimiser did not converge")
    if not math.isfinite(log_likelihood):
        problems.append(f"log-likelihood {log_likelihood} is not finite")
    return [f"{model} {problem}" for problem in problems]


# Beta(a, b) with a this large has a coefficient of variation under 10%.
DROPOUT_RIDGE_MIN_A = 100.0


def bgnbd_fit_problems(params: BgNbdParams) -> list[str]:
    """Return why this BG/NBD fit must not be used (empty when it is sound).

    b on its upper bound with a large too is the no-heterogeneity ridge of the
    dropout probability, as gamma's is for Gamma-Gamma: when every client
    drops out with about the same probability, the likelihood keeps rising as
    a and b grow at a fixed ratio, Beta(a, b) tends to one point
    p = a / (a + b), and the clamped fit predicts that limit to O(1 / b). A
    book of steady clients ends there (the demo book, depending on the hour
    its last orders fall in). b there with a small (p near 0, nobody drops
    out) is still a bound hit.
    """
    values = {"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b}
    hits = bound_hits(values=values, bounds=BOUNDS)
    if params.a >= DROPOUT_RIDGE_MIN_A:
        hits = [hit for hit in hits if not hit.startswith("b=")]
    return _fit_problems(
        "BG/NBD",
        hits,
        converged=params.converged,
        log_likelihood=params.log_likelihood,
    )


def gamma_gamma_fit_problems(params: GammaGammaParams) -> list[str]:
    """Return why this Gamma-Gamma fit must not be used (empty when it is sound).

    ``gamma`` at its upper bound is the one bound hit that is not a problem:
    when clients' spend scales do not differ, q and gamma grow together along a
    ridge (``nu = q / gamma`` fixed) and the fit stops on gamma's bound. The
    limit is a proper model (every client shrunk to the population mean), the
    clamped fit predicts it to O(1/q), and books with little spend
    heterogeneity (the test and bench books among them) always end there.
    """
    low, high = BOUNDS
    hits = bound_hits(values={"p": params.p, "q": params.q}, bounds=(low, high))
    hits += bound_hits(values={"gamma": params.gamma}, bounds=(low, math.inf))
    return _fit_problems(
        "Gamma-Gamma",
        hits,
        converged=params.converged,
        log_likelihood=params.log_likelihood,
    )


def churn_fit_problems(
    *, bgnbd: BgNbdParams, gamma_gamma: GammaGammaParams | None
) -> list[str]:
    """Return why the churn model's fit (BG/NBD, and Gamma-Gamma if any) is unusable."""
    problems = bgnbd_fit_problems(bgnbd)
    if gamma_gamma is not None:
        problems += gamma_gamma_fit_problems(gamma_gamma)
    return problems


def fit_problems_lines(problems: tuple[str, ...] | list[str]) -> list[str]:
    """Return the warning lines a text report prints for a degenerate fit."""
    if not problems:
        return []
    return [
        "WARNING: degenerate fit; scoring would reject it and keep the previous "
        "fit. Do not trust these predictions:",
        *(f"  {problem}" for problem in problems),
    ]
