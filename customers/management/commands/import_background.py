"""Queue a background import of a clients or orders CSV (the admin's columns)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.models import ImportJobModel
from customers.services.background_import import import_job_start
from customers.storage_errors import (
    STORAGE_DOWN_WORDS,
    STORAGE_ERRORS,
    StorageUnavailableError,
)


class Command(BaseCommand):
    help = (
        "Import a CSV with the admin import's columns and rules in a background "
        "job, for files too large for the web. FILE is a local path or a name "
        "in the media storage (on S3: a key under media/, e.g. a file uploaded "
        "with `aws s3 cp big.csv s3://BUCKET/media/imports/big.csv` is "
        "imports/big.csv). The job runs as --user, with that user's permissions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", choices=ImportJobModel.values)
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="Username of a manager.")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user '{options['user']}'")
        try:
            job = self._start(user, options["model"], options["file"])
        except StorageUnavailableError as exc:
            raise CommandError(str(exc)) from None
        except STORAGE_ERRORS as exc:  # reading a name in storage
            raise CommandError(
                f"{STORAGE_DOWN_WORDS}: '{options['file']}' could not be read "
                f"({type(exc).__name__}). Try again in a few minutes."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(f"Queued import #{job.pk}")
            + f" of {job.file_size:,} bytes; follow it at /admin/customers/importjob/"
            f"{job.pk}/change/"
        )

    def _start(self, user, model: str, name: str):
        path = Path(name)
        if path.is_file():
            with path.open("rb") as handle:
                return import_job_start(
                    user=user, model=model, upload=handle, name=path.name
                )
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                return import_job_start(
                    user=user, model=model, upload=handle, name=name
                )
        raise CommandError(f"'{name}' is neither a local file nor in storage")
