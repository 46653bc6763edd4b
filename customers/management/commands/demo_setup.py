"""``manage.py demo_setup``: everything ``make demo`` does between migrate and serve."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from customers.models import Client
from customers.roles import MANAGERS, REVIEWERS, STYLISTS
from customers.services.demo_seed import DEMO_STYLIST_DOMAIN

DEMO_LOGINS = (("manager", MANAGERS), ("reviewer", REVIEWERS))
DEMO_AB = "reengagement-ab-1"


class Command(BaseCommand):
    help = (
        "Seed demo data (first run only), run the pipeline and print one login "
        "per role with a fresh random password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, clients: int, seed: int, **options):
        if not Client.objects.exists():
            call_command("seed_demo", clients=clients, seed=seed, stdout=self.stdout)
            # Past weeks of scoring runs, sends and outcomes, so every dashboard
            # chart has something to show; before scoring, which then sees the
            # history's orders.
            call_command("seed_demo_history", stdout=self.stdout)
        else:
            self.stdout.write("Demo data already present; not seeding again.")
        # Before scoring, whose newly at-risk clients are drafted at once.
        self._start_demo_experiment()
        call_command("score_clients", stdout=self.stdout)
        if "generate_drafts" in get_commands():
            call_command("generate_drafts", stdout=self.stdout)
        self._print_logins()

    def _start_demo_experiment(self) -> None:
        """Split today's drafts between two prompt variants, so reviewers see both."""
        from emails.models import Experiment
        from emails.services.experiments import experiment_active, experiment_start

        if experiment_active() or Experiment.objects.filter(name=DEMO_AB).exists():
            return
        experiment = experiment_start(
            name=DEMO_AB, prompt_versions=["v1", "v2"], mde=0.05
        )
        self.stdout.write(
            f"Started experiment {experiment.name} (v1, v2; "
            f"{experiment.planned_n_per_arm} closed windows per variant planned)."
        )

    def _print_logins(self) -> None:
        user_model = get_user_model()
        logins = []
        for username, role in DEMO_LOGINS:
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            logins.append((role, user))
        stylist = (
            user_model.objects.filter(email__endswith=f"@{DEMO_STYLIST_DOMAIN}")
            .order_by("username")
            .first()
        )
        if stylist:
            logins.insert(0, (STYLISTS, stylist))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins (new passwords each run):"))
        for role, user in logins:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = True
            user.save()
            user.groups.add(Group.objects.get(name=role))
            self.stdout.write(f"  {role:<10} {user.username:<22} {password}")
        self.stdout.write(f"Admin: http://127.0.0.1:8000/{settings.ADMIN_URL_PATH}")
