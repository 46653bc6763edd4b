"""Time the scoring model's fit and predict phases on a million clients.

By default clients are drawn from BG/NBD with known parameters (whole days,
T uniform over about four years, spend in cents), so the run also shows
parameter recovery. ``--inputs FILE.npz`` times a dump of real scoring inputs
instead (keys: frequency, recency, T, monetary, average_order_value,
days_since_last_order, items_kept, items_sent, mean_rating; day units).

The phases are timed as ``clients_rescore`` times them, without the
database: "fit" is the BG/NBD and Gamma-Gamma fits, "predict" the engagement
reference and ``client_scores`` (predictions, CLV, engagement, tiers).
Then the whole ``fit_churn_model`` command (a fresh process, start-up
included) on a transactions CSV drawn the same way: 1M clients over 600 days
of calibration, about 2.77M rows (66 MB), written once to the temp dir. It is
timed with ``--model bgnbd`` (the BG/NBD + Gamma-Gamma work lifetimes does)
and ``--model auto``, the default (also the LightGBM churn pipeline, its
trees trained on ``SCORING_GBDT_TRAIN_CLIENTS`` clients as the nightly run's
are; its line says which ranking scored). ``--vs-lifetimes`` runs lifetimes
0.11.3 (pandas read, summary, BG/NBD + Gamma-Gamma fit) on the same file in
its own virtualenv, built once under the temp dir with versions it works
with, and prints the ratio.
Run: ``.venv/bin/python bench/bench_fit.py [--inputs FILE] [--repeat N]
[--vs-lifetimes] [--no-command] [--models bgnbd,auto]`` (``make bench-fit``).
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")
# As in production: manage.py's start-up checks want the SES events topic.
os.environ.setdefault(
    "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS",
    "arn:aws:sns:us-east-1:123456789012:stitchengage-bench-events",
)

import django

django.setup()

from scoring.bgnbd import bgnbd_fit, bgnbd_simulate  # noqa: E402
from scoring.gamma_gamma import gamma_gamma_fit  # noqa: E402
from scoring.services.predictions import RfmInputs, book_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_CLIENTS = 1_000_000
CSV_DAYS = 600  # calibration span of the CSV's clients: ~2.77M rows at 1M
CALIBRATION_END = "2024-12-31"
# lifetimes 0.11.3 (2020) breaks on pandas 2 and numpy 2; these are the last
# releases it runs on under Python 3.11.
LIFETIMES_PINS = (
    "lifetimes==0.11.3",
    "numpy==1.26.4",
    "pandas==1.5.3",
    "scipy==1.11.4",
    "autograd==1.6.2",
    "dill==0.3.8",
)
LIFETIMES_SCRIPT = """
import sys
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

frame = pd.read_csv(sys.argv[1], parse_dates=["date"])
summary = summary_data_from_transaction_data(
    frame, "customer_id", "date", monetary_value_col="amount",
    observation_period_end=sys.argv[2], freq="D",
)
bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
repeat = summary[summary["frequency"] > 0]
gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
p = bg.params_
print(f"lifetimes: {len(summary):,} customers; BG/NBD r={p['r']:.4f} "
      f"alpha={p['alpha']:.4f} a={p['a']:.4f} b={p['b']:.4f}; Gamma-Gamma "
      f"p={gg.params_['p']:.4f} q={gg.params_['q']:.4f} v={gg.params_['v']:.4f}")
"""
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
    _, scores = book_score(
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


def transactions_csv_write(path: Path, n: int, days: int = CSV_DAYS) -> int:
    """Write ``n`` BG/NBD clients' purchases as ``customer_id,date,amount``.

    First purchases fall uniformly over the ``days`` before the calibration
    end; the repeat purchases are the model's (the last at the recency, the
    others uniform before it, as in a Poisson process), spend Gamma-Gamma's
    in cents. Rows are in date order, as an order log exports. Returns rows.
    """
    rng = np.random.default_rng(20240601)
    t_cal = rng.integers(1, days + 1, n).astype(np.float64)
    sample = bgnbd_simulate(**TRUE, T=t_cal, rng=rng)
    x = sample.frequency.astype(np.int64)
    client = np.repeat(np.arange(n), x + 1)
    first = np.repeat(np.cumsum(x + 1) - (x + 1), x + 1)
    nth = np.arange(client.size) - first  # 0: first purchase, x: the last
    offset = np.where(nth == 0, 0.0, rng.random(client.size) * sample.recency[client])
    offset = np.where((nth == x[client]) & (nth > 0), sample.recency[client], offset)
    end = np.datetime64(CALIBRATION_END, "D")
    day = end - (t_cal[client] - np.floor(offset)).astype("timedelta64[D]")
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], n)
    amount = np.round(rng.gamma(TRUE_GG["p"], 1.0 / nu[client]), 2)
    order = np.argsort(day, kind="stable")
    ids = np.char.add("C", np.char.zfill(client[order].astype(str), 7))
    with path.open("w", encoding="utf-8") as handle:
        handle.write("customer_id,date,amount\n")
        handle.writelines(
            f"{i},{d},{a:.2f}\n"
            for i, d, a in zip(
                ids.tolist(),
                day[order].astype(str).tolist(),
                amount[order].tolist(),
                strict=True,
            )
        )
    return int(client.size)


def _csv_for(n: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"stitchengage-bench-fit-{n}-{CSV_DAYS}.csv"
    if not path.exists():
        partial = path.with_suffix(".part")
        rows = transactions_csv_write(partial, n)
        partial.rename(path)
        print(f"wrote {path} ({rows:,} rows)")
    return path


def _timed(argv: list[str]) -> tuple[float, float, str]:
    """Run ``argv``; return wall seconds, CPU seconds (user + sys) and stdout.

    The children's peak RSS is ``ru_maxrss`` of RUSAGE_CHILDREN (the largest
    child so far), printed after each run.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{argv[:3]} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _lifetimes_python() -> Path:
    """Return a Python with lifetimes 0.11.3, in a venv of its own under /tmp."""
    venv = Path(tempfile.gettempdir()) / "stitchengage-bench-lifetimes"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *LIFETIMES_PINS], check=True
        )
        stamp.touch()
    return python


def _command_run(n: int, vs_lifetimes: bool, models: list[str]) -> None:
    """Time the whole fit_churn_model command on the CSV, and lifetimes beside it."""
    path = _csv_for(n)
    print(f"\nfit_churn_model on {path.name} ({path.stat().st_size / 1e6:.0f} MB)")
    figures = {}
    for model in models:
        wall, cpu, out = _timed(
            [
                sys.executable,
                "manage.py",
                "fit_churn_model",
                "--transactions",
                str(path),
                "--calibration-end",
                CALIBRATION_END,
                "--model",
                model,
                "--format",
                "text",
            ]
        )
        figures[model] = (wall, cpu)
        lines = out.strip().splitlines()
        scored = next((line for line in lines if line.startswith("Churn risk")), "")
        print(
            f"  --model {model}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"peak RSS so far {_children_peak_mb():.0f} MB | {lines[1]}"
            + (f"\n    {scored}" if model != "bgnbd" else "")
        )
    if vs_lifetimes and "bgnbd" in figures:
        python = _lifetimes_python()
        wall, cpu, out = _timed(
            [str(python), "-c", LIFETIMES_SCRIPT, str(path), CALIBRATION_END]
        )
        print(f"  lifetimes 0.11.3: {wall:.2f} s wall, {cpu:.2f} s CPU | {out.strip()}")
        print(
            "  lifetimes / fit_churn_model --model bgnbd: "
            f"{wall / figures['bgnbd'][0]:.1f}x wall, "
            f"{cpu / figures['bgnbd'][1]:.1f}x CPU"
        )
    print(f"  load average: {os.getloadavg()[0]:.2f} (1 min)")


def main() -> None:
    """Load or simulate inputs, run fit and predict, print timings and results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, help="npz dump of scoring inputs")
    parser.add_argument("--clients", type=int, default=N_CLIENTS)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs")
    parser.add_argument(
        "--vs-lifetimes", action="store_true", help="run lifetimes 0.11.3 too"
    )
    parser.add_argument(
        "--no-command", action="store_true", help="skip the fit_churn_model runs"
    )
    parser.add_argument(
        "--models",
        default="bgnbd,auto",
        help="fit_churn_model --model values to time, bgnbd first (default bgnbd,auto)",
    )
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
    if not args.no_command:
        _command_run(args.clients, args.vs_lifetimes, args.models.split(","))


if __name__ == "__main__":
    main()
