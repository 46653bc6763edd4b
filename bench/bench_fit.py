"""Time the BG/NBD and Gamma-Gamma fits on 1,000,000 synthetic clients.

Clients are drawn from BG/NBD with known parameters over two years, in whole
days as a real order log would give, so the run also shows parameter
recovery. Run: ``.venv/bin/python bench/bench_fit.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.bgnbd import bgnbd_fit, bgnbd_predict, bgnbd_simulate
from scoring.gamma_gamma import gamma_gamma_fit

N_CLIENTS = 1_000_000
TRUE = {"r": 0.5, "alpha": 40.0, "a": 0.8, "b": 2.5}


def main() -> None:
    """Simulate, fit and print timings and parameters."""
    rng = np.random.default_rng(20240601)
    t_cal = rng.integers(1, 731, N_CLIENTS).astype(np.float64)
    sample = bgnbd_simulate(**TRUE, T=t_cal, rng=rng)
    recency = np.floor(sample.recency)  # whole days, as from an order log
    x = sample.frequency
    # Spend: Gamma-Gamma with p=6, q=4, gamma=15 for the repeat buyers.
    nu = rng.gamma(4.0, 1.0 / 15.0, N_CLIENTS)
    monetary = np.where(
        x > 0, rng.gamma(6.0 * np.maximum(x, 1), 1.0 / nu) / np.maximum(x, 1), 0.0
    )

    start = time.perf_counter()
    params = bgnbd_fit(frequency=x, recency=recency, T=t_cal)
    fit_s = time.perf_counter() - start

    start = time.perf_counter()
    bgnbd_predict(params=params, frequency=x, recency=recency, T=t_cal, horizon=90)
    predict_s = time.perf_counter() - start

    start = time.perf_counter()
    gg = gamma_gamma_fit(frequency=x, monetary=monetary)
    gg_s = time.perf_counter() - start

    print(f"clients: {N_CLIENTS:,} (repeat buyers {int((x > 0).sum()):,})")
    print(f"bgnbd_fit: {fit_s:.3f} s")
    print(
        f"  r={params.r:.4f} alpha={params.alpha:.4f} a={params.a:.4f} "
        f"b={params.b:.4f} LL={params.log_likelihood:.1f}  (true {TRUE})"
    )
    print(f"bgnbd_predict (horizon 90 days): {predict_s:.3f} s")
    print(f"gamma_gamma_fit: {gg_s:.3f} s")
    print(f"  p={gg.p:.4f} q={gg.q:.4f} gamma={gg.gamma:.4f}  (true p=6 q=4 gamma=15)")


if __name__ == "__main__":
    main()
