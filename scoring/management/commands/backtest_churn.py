"""Backtest the churn model against a holdout window of a transactions CSV."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
from django.core.management.base import CommandError, CommandParser

from scoring.backtest import (
    backtest_models,
    backtest_models_text,
    backtest_render_text,
    backtest_run,
    backtest_to_dict,
)
from scoring.fit_checks import fit_problems_lines
from scoring.management.commands.fit_churn_model import (
    CsvCommand,
    add_model_argument,
    add_transactions_arguments,
    parse_calibration_end,
    pipeline_options,
    transactions_summary_load,
)
from scoring.transactions import DAYS_PER_UNIT, Transactions


def holdout_within_data(
    *,
    transactions: Transactions,
    calibration_end: dt.date,
    horizon: float,
    time_unit: str,
) -> None:
    """Raise CommandError when the holdout runs past the file's last purchase.

    Customers would then look churned for want of data, not of orders, and
    the backtest's actual churn would be wrong.
    """
    unit = DAYS_PER_UNIT[time_unit]
    last = dt.date.fromisoformat(
        str(np.max(transactions.dates).astype("datetime64[D]"))
    )
    holdout_end = calibration_end + dt.timedelta(days=math.floor(horizon * unit + 1e-9))
    if holdout_end <= last:
        return
    room = (last - calibration_end).days / unit
    advice = (
        f"use --horizon <= {math.floor(room + 1e-9)}"
        if room >= 1
        else "use an earlier --calibration-end"
    )
    raise CommandError(
        f"--horizon {horizon:g} {time_unit} from --calibration-end {calibration_end} "
        f"ends {holdout_end}, after the last transaction ({last}): the holdout "
        f"would be cut short; {advice}"
    )


class Command(CsvCommand):
    help = (
        "Fit on purchases up to --calibration-end, predict churn over the next "
        "--horizon time units and compare with what happened (ROC AUC, deciles)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_transactions_arguments(parser)
        parser.add_argument("--horizon", type=float, required=True)
        parser.add_argument("--format", choices=["text", "json"], default="text")
        add_model_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        calibration_end = parse_calibration_end(options["calibration_end"])
        if options["horizon"] <= 0:
            raise CommandError("--horizon must be positive")
        transactions, summary = transactions_summary_load(
            path=options["transactions"],
            calibration_end=calibration_end,
            time_unit=options["time_unit"],
            holdout_horizon=options["horizon"],
        )
        holdout_within_data(
            transactions=transactions,
            calibration_end=calibration_end,
            horizon=options["horizon"],
            time_unit=options["time_unit"],
        )
        try:
            result = backtest_run(summary=summary)
            models, shipped = backtest_models(
                summary=summary,
                transactions=transactions,
                horizon=options["horizon"],
                **pipeline_options(options),
            )
        except (ValueError, RuntimeError) as exc:
            raise CommandError(f"backtest failed: {exc}") from exc
        if options["format"] == "json":
            data = backtest_to_dict(result)
            data["shipped"] = shipped
            data["models"] = [
                {k: (None if isinstance(v, float) and v != v else v)
                 for k, v in vars(row).items()}
                for row in models
            ]  # fmt: skip
            self.stdout.write(json.dumps(data, indent=2))
            if result.problems:
                self.stderr.write(
                    self.style.WARNING("\n".join(fit_problems_lines(result.problems)))
                )
        else:
            self.stdout.write(backtest_render_text(result))
            self.stdout.write(backtest_models_text(models, shipped))
