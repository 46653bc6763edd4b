"""Calibration and ranking over a grid of backtests of one transactions CSV.

Issue 13 asks for mean predicted churn within 2 points of actual on each
backtest, not on one: this runs ``backtest_churn`` (in process, the command's
own code) for every calibration end x horizon and prints, per backtest, the
actual churn, the shipped model's mean predicted churn and its error in points,
and every ranking's ROC AUC. Run by hand, for example on the CDNOW sample::

    .venv/bin/python bench/backtest_grid.py --transactions tests/data/cdnow/... \\
        --ends 1997-06-30 1997-09-30 --horizons 13 26 39 --time-unit weeks

``--every DAYS`` with ``--first``/``--last`` spreads the ends evenly instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class GridRow:
    """One backtest's calibration and rankings."""

    calibration_end: str
    horizon: float
    actual: float | None
    predicted: float | None
    shipped: str
    aucs: dict[str, float | None]
    error: str = ""

    @property
    def points_off(self) -> float | None:
        if self.actual is None or self.predicted is None:
            return None
        return 100.0 * (self.predicted - self.actual)


def backtest_one(
    *,
    transactions: Path,
    calibration_end: str,
    horizon: float,
    time_unit: str,
    model: str,
) -> GridRow:
    """Run ``backtest_churn --format json`` once and keep what the grid prints."""
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    try:
        call_command(
            "backtest_churn",
            transactions=str(transactions),
            calibration_end=calibration_end,
            horizon=horizon,
            time_unit=time_unit,
            model=model,
            format="json",
            stdout=out,
            stderr=io.StringIO(),
        )
    except CommandError as exc:
        return GridRow(calibration_end, horizon, None, None, "", {}, error=str(exc))
    data = json.loads(out.getvalue())
    # The shipped ranking's row is the one named "<model> (shipped)".
    shipped = next(m for m in data["models"] if m["name"].endswith(" (shipped)"))
    return GridRow(
        calibration_end=calibration_end,
        horizon=horizon,
        actual=shipped["actual"],
        predicted=shipped["mean_predicted"],
        shipped=shipped["name"].removesuffix(" (shipped)"),
        aucs={m["name"].removesuffix(" (shipped)"): m["auc"] for m in data["models"]},
    )


def grid_ends(args: argparse.Namespace) -> list[str]:
    """Return the calibration ends: as given, or every ``--every`` days."""
    if args.ends:
        return list(args.ends)
    first = dt.date.fromisoformat(args.first)
    last = dt.date.fromisoformat(args.last)
    ends = []
    while first <= last:
        ends.append(first.isoformat())
        first += dt.timedelta(days=args.every)
    return ends


def grid_print(rows: list[GridRow], *, limit_points: float) -> int:
    """Print the table and a summary; return how many backtests miss the limit."""
    names = sorted({name for row in rows for name in row.aucs})
    head = f"{'end':<10} {'horizon':>7} {'actual':>7} {'pred':>7} {'pts':>6}  shipped"
    print(head + "".join(f" {name[:14]:>14}" for name in names))
    misses, offs = 0, []
    for row in rows:
        if row.error:
            print(f"{row.calibration_end:<10} {row.horizon:>7g}  refused: {row.error}")
            continue
        off = row.points_off
        offs.append(abs(off))
        missed = abs(off) > limit_points
        misses += missed
        aucs = "".join(
            f" {row.aucs[n]:>14.3f}" if row.aucs.get(n) is not None else f" {'-':>14}"
            for n in names
        )
        print(
            f"{row.calibration_end:<10} {row.horizon:>7g} {row.actual:>7.3f} "
            f"{row.predicted:>7.3f} {off:>+6.1f}  {row.shipped}{aucs}"
            + ("  MISS" if missed else "")
        )
    if offs:
        print(
            f"\n{len(offs)} backtests: mean |error| "
            f"{sum(offs) / len(offs):.2f} points, max {max(offs):.2f}; "
            f"within {limit_points:g} points: "
            f"{len(offs) - misses} of {len(offs)}"
        )
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=Path, required=True)
    parser.add_argument("--ends", nargs="*", help="calibration ends, YYYY-MM-DD")
    parser.add_argument("--first", help="first calibration end (with --every)")
    parser.add_argument("--last", help="last calibration end (with --every)")
    parser.add_argument("--every", type=int, default=91, help="days between ends")
    parser.add_argument("--horizons", type=float, nargs="+", required=True)
    parser.add_argument("--time-unit", choices=["days", "weeks"], default="days")
    parser.add_argument("--model", choices=["auto", "gbdt", "bgnbd"], default="auto")
    parser.add_argument("--limit-points", type=float, default=2.0)
    args = parser.parse_args()
    if not args.ends and not (args.first and args.last):
        parser.error("give --ends, or --first and --last")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stitchengage.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    rows = [
        backtest_one(
            transactions=args.transactions,
            calibration_end=end,
            horizon=horizon,
            time_unit=args.time_unit,
            model=args.model,
        )
        for end in grid_ends(args)
        for horizon in args.horizons
    ]
    sys.exit(1 if grid_print(rows, limit_points=args.limit_points) else 0)


if __name__ == "__main__":
    main()
