"""``manage.py experiment_start NAME --variants v1,v2``: start a prompt experiment."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emails.services.experiments import ExperimentError, experiment_start


def _numbers(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--weights must be numbers, e.g. 50,50: {exc}") from exc


class Command(BaseCommand):
    help = (
        "Start an experiment: new at-risk entries are split between its prompt "
        "versions (and the holdout), and its sample size per variant is planned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--variants", required=True, help="e.g. v1,v2")
        parser.add_argument("--weights", help="e.g. 50,50 (default: equal)")
        parser.add_argument(
            "--holdout", type=float, help="share never emailed (default: setting)"
        )
        parser.add_argument(
            "--mde",
            type=float,
            help="smallest absolute difference in re-engagement to detect (0.05)",
        )
        parser.add_argument(
            "--baseline",
            type=float,
            help="re-engagement rate to plan on (default: the treated rate so far)",
        )

    def handle(self, *args, **options) -> None:
        try:
            experiment = experiment_start(
                name=options["name"],
                prompt_versions=options["variants"].split(","),
                weights=_numbers(options["weights"]) if options["weights"] else None,
                holdout_share=options["holdout"],
                mde=options["mde"],
                baseline=options["baseline"],
            )
        except ExperimentError as exc:
            raise CommandError(str(exc)) from exc
        arms = ", ".join(
            f"{v['prompt_version']} ({v['weight']:g})" for v in experiment.variants
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Started {experiment.name}: {arms}, holdout "
                f"{experiment.holdout_share:.0%}."
            )
        )
        if experiment.planned_n_per_arm:
            self.stdout.write(
                f"Planned: {experiment.planned_n_per_arm} closed windows per variant "
                f"(baseline {experiment.baseline_rate:.3f}, MDE "
                f"{experiment.min_detectable_effect:.3f}, alpha {experiment.alpha}, "
                f"power {experiment.power}); no winner is declared before."
            )
