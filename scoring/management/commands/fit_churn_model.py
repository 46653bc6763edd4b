"""Fit BG/NBD and Gamma-Gamma on a transactions CSV without touching the database."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from scoring.churn_model import (
    DEFAULT_HORIZON,
    churn_model_fit,
    churn_model_to_dict,
    churn_predictions_write_csv,
)
from scoring.fit_checks import fit_problems_lines
from scoring.transactions import (
    RfmSummary,
    TimeUnit,
    Transactions,
    TransactionsFileError,
    rfm_summary_build,
    transactions_read_csv,
)


def parse_calibration_end(value: str) -> dt.date:
    """Return the date for ``YYYY-MM-DD`` or raise CommandError saying so."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--calibration-end: {value!r} is not a YYYY-MM-DD date"
        ) from None


def add_transactions_arguments(parser: CommandParser) -> None:
    """Add what both CSV commands read: the file, its cut-off and time unit."""
    parser.add_argument("--transactions", required=True, help="CSV path")
    parser.add_argument(
        "--calibration-end", required=True, help="last day used, YYYY-MM-DD"
    )
    parser.add_argument("--time-unit", choices=["days", "weeks"], default="days")


def transactions_summary_load(
    *,
    path: str,
    calibration_end: dt.date,
    time_unit: TimeUnit,
    holdout_horizon: float | None = None,
) -> tuple[Transactions, RfmSummary]:
    """Return the CSV's transactions and their summary up to ``calibration_end``.

    Both CSV commands refuse the same things with the same words: a file that
    cannot be read, and one with no purchase by the cut-off.
    """
    try:
        transactions = transactions_read_csv(path=path)
    except TransactionsFileError as exc:
        raise CommandError(str(exc)) from exc
    summary = rfm_summary_build(
        transactions=transactions,
        calibration_end=calibration_end,
        time_unit=time_unit,
        holdout_horizon=holdout_horizon,
    )
    if summary.frequency.size == 0:
        raise CommandError(
            f"no purchases on or before --calibration-end {calibration_end}"
        )
    return transactions, summary


class CsvCommand(BaseCommand):
    """A command that reads a CSV and prints numbers.

    No database, no URLs, nothing the system checks look at; they cost a
    start-up a fraction of a second.
    """

    requires_system_checks: list[str] = []


def add_model_argument(parser: CommandParser) -> None:
    """Add --model, the same choice rescoring makes (README "Scoring")."""
    parser.add_argument(
        "--model",
        choices=["auto", "gbdt", "bgnbd"],
        default="auto",
        help="churn risk from: auto (best ranking of a backtest inside the "
        "calibration period), gbdt (LightGBM trees) or bgnbd",
    )


def pipeline_options(options: dict[str, Any]) -> dict[str, Any]:
    """Return the churn pipeline's keyword arguments from the command options."""
    return {
        "model": options["model"],
        "min_clients": settings.SCORING_GBDT_MIN_CLIENTS,
        "min_history_days": settings.SCORING_GBDT_MIN_HISTORY_DAYS,
    }


class Command(CsvCommand):
    help = (
        "Fit the churn (BG/NBD) and spend (Gamma-Gamma) models on a "
        "customer_id,date,amount CSV and print the parameters."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_transactions_arguments(parser)
        parser.add_argument(
            "--horizon",
            type=float,
            default=None,
            help="prediction window in time units (default 90 days / 13 weeks)",
        )
        parser.add_argument("--predictions-out", help="write per-customer CSV here")
        parser.add_argument(
            "--monthly-discount-rate", type=float, default=0.0, help="for 12-month CLV"
        )
        parser.add_argument("--format", choices=["json", "text"], default="json")
        add_model_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        calibration_end = parse_calibration_end(options["calibration_end"])
        time_unit = options["time_unit"]
        horizon = options["horizon"] or DEFAULT_HORIZON[time_unit]
        if horizon <= 0:
            raise CommandError("--horizon must be positive")
        if options["monthly_discount_rate"] < 0:
            raise CommandError("--monthly-discount-rate must be >= 0")
        transactions, summary = transactions_summary_load(
            path=options["transactions"],
            calibration_end=calibration_end,
            time_unit=time_unit,
        )
        try:
            result = churn_model_fit(
                summary=summary,
                horizon=horizon,
                monthly_discount_rate=options["monthly_discount_rate"],
                transactions=transactions,
                train_clients=settings.SCORING_GBDT_TRAIN_CLIENTS,
                **pipeline_options(options),
            )
        except (ValueError, RuntimeError) as exc:
            raise CommandError(f"model fit failed: {exc}") from exc
        if options["predictions_out"]:
            try:
                churn_predictions_write_csv(
                    result=result, summary=summary, path=options["predictions_out"]
                )
            except OSError as exc:
                raise CommandError(f"--predictions-out: {exc}") from exc
        data = churn_model_to_dict(result=result, summary=summary)
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, indent=2))
            if result.problems:
                self.stderr.write(
                    self.style.WARNING("\n".join(fit_problems_lines(result.problems)))
                )
            return
        b, gg = data["bgnbd"], data["gamma_gamma"]
        self.stdout.write(
            f"{data['n_customers']} customers, calibration end "
            f"{data['calibration_end']}, time unit {time_unit}\n"
            f"BG/NBD: r={b['r']:.4f} alpha={b['alpha']:.4f} a={b['a']:.4f} "
            f"b={b['b']:.4f} log-likelihood={b['log_likelihood']:.2f}"
        )
        for line in fit_problems_lines(result.problems):
            self.stdout.write(self.style.WARNING(line))
        if gg is None:
            self.stdout.write("Gamma-Gamma: not fitted (fewer than 2 repeat buyers)")
        else:
            self.stdout.write(
                f"Gamma-Gamma: p={gg['p']:.4f} q={gg['q']:.4f} "
                f"gamma={gg['gamma']:.4f} (n={gg['n']})"
            )
        churn = data["churn_model"]
        self.stdout.write(
            f"Churn risk scored by {result.scored_by}"
            + (f" ({churn['reason']})" if churn else "")
        )
        self.stdout.write(
            f"Next {horizon:g} {time_unit}: mean churn risk "
            f"{data['mean_churn_risk']:.3f}, expected purchases "
            f"{data['expected_purchases_total']:.1f}"
        )
