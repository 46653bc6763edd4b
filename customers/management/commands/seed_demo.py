"""Seed a deterministic demo client book: stylists, clients and their Fixes."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.services.demo_seed import (
    DemoDataExistsError,
    demo_data_delete,
    demo_seed,
)


class Command(BaseCommand):
    help = (
        "Create demo stylists, clients and order history. The same --clients and "
        "--seed give the same data (dates are relative to today)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--stylists", type=int, default=5)
        parser.add_argument(
            "--years", type=int, default=3, help="Length of the order history."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete existing demo clients, orders and stylists first.",
        )

    def handle(self, *args, **options) -> None:
        if options["clients"] < 0 or options["stylists"] < 1 or options["years"] < 1:
            raise CommandError("Need --clients >= 0, --stylists >= 1, --years >= 1.")
        if options["reset"]:
            clients, stylists = demo_data_delete()
            self.stdout.write(
                f"Deleted {clients} demo clients and {stylists} demo stylists."
            )
        started = time.perf_counter()
        try:
            summary = demo_seed(
                clients=options["clients"],
                seed=options["seed"],
                stylists=options["stylists"],
                years=options["years"],
            )
        except DemoDataExistsError as exc:
            raise CommandError(str(exc)) from exc
        segments = ", ".join(f"{k} {v}" for k, v in sorted(summary.segments.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.stylists} stylists, {summary.clients} clients and "
                f"{summary.orders} orders in {time.perf_counter() - started:.1f}s"
            )
            + (f" ({segments})." if segments else ".")
        )
