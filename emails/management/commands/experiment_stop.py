"""``manage.py experiment_stop NAME``: stop assigning clients to an experiment."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emails.services.experiments import ExperimentError, experiment_stop


class Command(BaseCommand):
    help = (
        "Stop an experiment. Its assignments and drafts stay; new at-risk entries "
        "go to the default experiment of the settings until another is started."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args, **options) -> None:
        try:
            experiment = experiment_stop(name=options["name"])
        except ExperimentError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Stopped {experiment.name} at {experiment.stopped_at:%Y-%m-%d %H:%M}."
            )
        )
