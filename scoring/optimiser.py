"""When has L-BFGS-B converged? Shared by the BG/NBD and Gamma-Gamma fits."""

from __future__ import annotations

import numpy as np
from scipy import optimize

# On the mean log-likelihood per customer, so independent of the book's size.
STATIONARY_GRADIENT = 1e-6


def projected_gradient(
    theta: np.ndarray, grad: np.ndarray, bounds: tuple[float, float]
) -> float:
    """Return the largest gradient component not pushing against a bound."""
    low, high = bounds
    free = ~(((theta <= low) & (grad > 0)) | ((theta >= high) & (grad < 0)))
    return float(np.max(np.abs(grad[free]), initial=0.0))


def lbfgsb_converged(
    result: optimize.OptimizeResult, bounds: tuple[float, float]
) -> bool:
    """Return whether the optimiser stopped at a (bound-constrained) stationary point.

    Its own test, or a vanishing projected gradient: on a flat ridge the line
    search can fail ("ABNORMAL") at a point that is already stationary.
    """
    if result.success:
        return True
    return projected_gradient(result.x, result.jac, bounds) < STATIONARY_GRADIENT
