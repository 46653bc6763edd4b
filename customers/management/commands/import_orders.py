"""Import a transactions CSV (customer_id,date,amount) into clients and orders."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from customers.services.order_import import (
    DEFAULT_ENCODING,
    OrderImportError,
    errors_format,
    orders_import_csv,
)


class Command(BaseCommand):
    help = (
        "Import a transactions CSV with columns customer_id,date,amount (header "
        "required, other columns ignored). Creates missing clients; re-running on "
        "the same file adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file to import.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and report the invalid ones (default: "
            "refuse the whole file if any row is invalid).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Rows per bulk insert (default 5000).",
        )
        parser.add_argument(
            "--encoding",
            default=DEFAULT_ENCODING,
            help="Text encoding of the file (default utf-8-sig: UTF-8 with or "
            "without a byte order mark); e.g. latin-1 or cp1252 for files saved "
            "by older spreadsheets.",
        )

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        show_progress = self.stdout.isatty()
        bar = tqdm(
            unit="row", disable=not show_progress, file=sys.stderr, desc="orders"
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            summary = orders_import_csv(
                path=options["path"],
                skip_invalid=options["skip_invalid"],
                batch_size=options["batch_size"],
                progress=progress,
                encoding=options["encoding"],
            )
        except OrderImportError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()

        if summary.errors:
            self.stderr.write(
                f"Skipped {summary.rows_skipped} invalid row(s):\n"
                + errors_format(errors=summary.errors)
            )
        self.stdout.write(
            self.style.SUCCESS(f"Imported {options['path']}")
            + f"\n  rows read:              {summary.rows_read}"
            f"\n  clients created:        {summary.clients_created}"
            f"\n  orders created:         {summary.orders_created}"
            f"\n  orders already present: {summary.orders_existing}"
            f"\n  rows skipped:           {summary.rows_skipped}"
        )
