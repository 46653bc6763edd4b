"""Time the scoring model's fit and predict phases on a million clients.

By default clients are drawn from BG/NBD with known parameters (whole days,
T uniform over about four years, spend in cents), so the run also shows
parameter recovery. ``--inputs FILE.npz`` times a dump of real scoring inputs
instead (keys: frequency, recency, T, monetary, average_order_value,
days_since_last_order, items_kept, items_sent, mean_rating; day units).

The phases are timed as ``score_clients_all`` times them, without the
database: "fit" is the BG/NBD and Gamma-Gamma fits, "predict" the engagement
reference and ``client_scores`` (predictions, CLV, engagement, tiers).
Run: ``.venv/bin/python bench/bench_fit.py [--inputs FILE] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")

import django

django.setup()

from scoring.bgnbd import bgnbd_fit, bgnbd_simulate  # noqa: E402
from scoring.gamma_gamma import gamma_gamma_fit  # noqa: E402
from scoring.services.predictions import RfmInputs, book_scores  # noqa: E402

N_CLIENTS = 1_000_000
TRUE = {"r": 0.3, "alpha": 30.0, "a": 0.6, "b": 3.0}
TRUE_GG = {"p": 6.0, "q": 4.0, "gamma": 15.0}


def _simulated(n: int) -> tuple[RfmInputs, types.SimpleNamespace]:
    """Return BG/NBD + Gamma-Gamma clients in whole days, spend in cents."""
    rng = np.random.default_rng(20240601)
    t_cal = rng.integers(1, 1501, n).astype(np.float64)
    sample = bgnbd_simulate(**TRUE, T=t_cal, rng=rng)
    recency = np.floor(sample.recency)  # whole days, as from an order log
    x = sample.frequency
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], n)
    spend = rng.gamma(TRUE_GG["p"] * np.maximum(x, 1), 1.0 / nu)
    monetary = np.where(x > 0, np.round(spend, 2) / np.maximum(x, 1), 0.0)
    first = np.round(rng.gamma(TRUE_GG["p"], 1.0 / nu), 2)
    inputs = RfmInputs(
        frequency=x,
        recency=recency,
        T=t_cal,
        monetary=monetary,
        days_since_last_order=t_cal - recency,
        average_order_value=(monetary * x + first) / (x + 1),
        mean_rating=np.where(rng.random(n) < 0.8, rng.uniform(1, 5, n), np.nan),
    )
    sent = rng.integers(5, 5 * (x.astype(np.int64) + 2))
    stats = types.SimpleNamespace(
        items_sent=sent.astype(np.float64),
        items_kept=rng.binomial(sent, 0.4).astype(np.float64),
    )
    return inputs, stats


def _loaded(path: Path) -> tuple[RfmInputs, types.SimpleNamespace]:
    """Return the scoring inputs dumped in ``path``."""
    data = np.load(path)
    inputs = RfmInputs(
        **{
            name: np.asarray(data[name], dtype=np.float64)
            for name in (
                "frequency",
                "recency",
                "T",
                "monetary",
                "days_since_last_order",
                "average_order_value",
                "mean_rating",
            )
        }
    )
    stats = types.SimpleNamespace(
        items_sent=data["items_sent"], items_kept=data["items_kept"]
    )
    return inputs, stats


def _run(inputs: RfmInputs, stats: types.SimpleNamespace) -> dict[str, object]:
    started = time.perf_counter()
    bgnbd = bgnbd_fit(frequency=inputs.frequency, recency=inputs.recency, T=inputs.T)
    bg_s = time.perf_counter() - started
    gamma_gamma = gamma_gamma_fit(frequency=inputs.frequency, monetary=inputs.monetary)
    fit_s = time.perf_counter() - started

    started = time.perf_counter()
    _, scores = book_scores(
        stats=stats, inputs=inputs, bgnbd=bgnbd, gamma_gamma=gamma_gamma
    )
    predict_s = time.perf_counter() - started
    return {
        "bgnbd_s": bg_s,
        "gg_s": fit_s - bg_s,
        "fit_s": fit_s,
        "predict_s": predict_s,
        "bgnbd": bgnbd,
        "gamma_gamma": gamma_gamma,
        "scores": scores,
    }


def main() -> None:
    """Load or simulate inputs, run fit and predict, print timings and results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, help="npz dump of scoring inputs")
    parser.add_argument("--clients", type=int, default=N_CLIENTS)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs")
    args = parser.parse_args()

    if args.inputs:
        inputs, stats = _loaded(args.inputs)
        source = str(args.inputs)
    else:
        inputs, stats = _simulated(args.clients)
        source = f"simulated, true {TRUE} {TRUE_GG}"
    x = inputs.frequency
    print(f"clients: {x.size:,} (repeat buyers {int((x > 0).sum()):,}) from {source}")
    print(f"{'run':>4} {'bgnbd s':>8} {'gg s':>6} {'fit s':>6} {'predict s':>9}")
    for number in range(1, args.repeat + 1):
        result = _run(inputs, stats)
        print(
            f"{number:>4} {result['bgnbd_s']:>8.3f} {result['gg_s']:>6.3f} "
            f"{result['fit_s']:>6.3f} {result['predict_s']:>9.3f}"
        )
    bg, gg, scores = result["bgnbd"], result["gamma_gamma"], result["scores"]
    print(
        f"BG/NBD r={bg.r:.4f} alpha={bg.alpha:.4f} a={bg.a:.4f} b={bg.b:.4f} "
        f"LL={bg.log_likelihood:.1f}"
    )
    print(f"Gamma-Gamma p={gg.p:.4f} q={gg.q:.4f} gamma={gg.gamma:.4f}")
    tiers, counts = np.unique(scores.tiers.astype(str), return_counts=True)
    print("tiers:", dict(zip(tiers.tolist(), counts.tolist(), strict=True)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB (includes the inputs)")


if __name__ == "__main__":
    main()
