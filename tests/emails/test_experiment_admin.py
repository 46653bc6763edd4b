"""Experiments in the admin and on the command line; the variant shown to reviewers."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.admin import helpers
from django.core.management import CommandError, call_command
from django.urls import reverse

from emails.models import Experiment, ReengagementEmail, RetentionAssignment
from emails.services.experiments import experiment_start
from tests.customers.factories import (
    ClientFactory,
    ManagerFactory,
    ReviewerFactory,
    StylistFactory,
    password_login,
)
from tests.emails.conftest import snapshot_make
from tests.emails.factories import pending_email

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:emails_experiment_changelist"
ADD = "admin:emails_experiment_add"


def test_experiment_start_command_plans_and_reports():
    """The command starts the experiment and prints its planned n per variant."""
    out = StringIO()
    call_command(
        "experiment_start",
        "ab-1",
        "--variants",
        "v1,v2",
        "--weights",
        "50,50",
        "--holdout",
        "0.1",
        "--mde",
        "0.05",
        "--baseline",
        "0.10",
        stdout=out,
    )
    experiment = Experiment.objects.get(name="ab-1")
    assert experiment.active
    assert experiment.planned_n_per_arm == 686
    assert "Started ab-1: v1 (50), v2 (50), holdout 10%." in out.getvalue()
    assert "Planned: 686 closed windows per variant" in out.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ab-1", "--variants", "v1,v404"], "unknown prompt version 'v404'"),
        (["ab-1", "--variants", "v1,v2", "--weights", "50,x"], "must be numbers"),
        (["ab-1", "--variants", "v1,v2", "--holdout", "1.5"], r"\[0, 1\)"),
    ],
)
def test_experiment_start_command_names_the_mistake(argv, message):
    """A bad design is a CommandError that says what is wrong."""
    with pytest.raises(CommandError, match=message):
        call_command("experiment_start", *argv, stdout=StringIO())


def test_experiment_stop_command_and_only_one_running():
    """A second start is refused until the first is stopped."""
    call_command("experiment_start", "ab-1", "--variants", "v1,v2", stdout=StringIO())
    with pytest.raises(CommandError, match="'ab-1' is running; stop it first"):
        call_command(
            "experiment_start", "ab-2", "--variants", "v1,v2", stdout=StringIO()
        )
    out = StringIO()
    call_command("experiment_stop", "ab-1", stdout=out)
    assert out.getvalue().startswith("Stopped ab-1 at ")
    assert not Experiment.objects.get(name="ab-1").active
    with pytest.raises(CommandError, match="stopped already"):
        call_command("experiment_stop", "ab-1", stdout=StringIO())


def test_manager_starts_an_experiment_in_the_admin(client):
    """The add form runs the same checks and power calculation as the command."""
    password_login(client, ManagerFactory())
    response = client.post(
        reverse(ADD),
        {
            "name": "ab-admin",
            "prompt_versions": "v1,v2",
            "weights": "70,30",
            "holdout_share": "0.1",
            "min_detectable_effect": "0.05",
            "baseline_rate": "0.1",
        },
    )
    assert response.status_code == 302
    experiment = Experiment.objects.get(name="ab-admin")
    assert experiment.active
    assert [v["weight"] for v in experiment.variants] == [70, 30]
    assert experiment.planned_n_per_arm == 686
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "v1 (70), v2 (30)" in page
    assert "running" in page


def test_admin_start_refuses_a_second_running_experiment_in_words(client):
    """The form says which experiment runs; nothing is created."""
    experiment_start(name="ab-1", prompt_versions=["v1", "v2"])
    password_login(client, ManagerFactory())
    response = client.post(
        reverse(ADD),
        {"name": "ab-2", "prompt_versions": "v1,v2", "holdout_share": "0.1"},
    )
    assert response.status_code == 200
    assert "is running; stop it first" in response.content.decode()
    assert not Experiment.objects.filter(name="ab-2").exists()


def test_manager_stops_an_experiment_with_the_action(client):
    """The stop action ends a running experiment."""
    experiment = experiment_start(name="ab-1", prompt_versions=["v1", "v2"])
    password_login(client, ManagerFactory())
    client.post(
        reverse(CHANGELIST),
        {
            "action": "stop_selected",
            helpers.ACTION_CHECKBOX_NAME: [experiment.pk],
            "index": "0",
        },
    )
    experiment.refresh_from_db()
    assert not experiment.active


def test_reviewers_view_experiments_but_cannot_start_or_stop_them(client):
    """Reviewers see the list and a page; no add, no stop; stylists see nothing."""
    experiment = experiment_start(name="ab-1", prompt_versions=["v1", "v2"])
    password_login(client, ReviewerFactory())
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "ab-1" in page
    assert "stop_selected" not in page
    assert client.get(reverse(ADD)).status_code == 403
    change = reverse("admin:emails_experiment_change", args=[experiment.pk])
    assert client.get(change).status_code == 200
    client.logout()
    password_login(client, StylistFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403


def _drafted_in(variant: str) -> ReengagementEmail:
    from emails.services.drafting import draft_generate, draft_request_evaluate
    from emails.services.experiments import experiment_plan_current, variant_pick

    plan = experiment_plan_current()
    client = next(
        c
        for c in (ClientFactory(first_name="Ana") for _ in range(50))
        if variant_pick(plan=plan, client_id=c.pk) == variant
    )
    request = draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
    return draft_generate(email=request.email).email


def test_reviewers_see_which_variant_wrote_a_draft(client, settings):
    """A list column and filter, and a line on the review panel with the experiment."""
    settings.OPENROUTER_API_KEY = ""
    experiment_start(name="ab-1", prompt_versions=["v1", "v2"], holdout_share=0.0)
    v2 = _drafted_in("v2")
    v1 = _drafted_in("v1")
    password_login(client, ReviewerFactory())
    listing = reverse("admin:emails_reengagementemail_changelist")
    page = client.get(listing).content.decode()
    assert '<td class="field-prompt_version">v2</td>' in page
    assert "?prompt_version=v2" in page  # the filter
    only_v2 = client.get(listing, {"prompt_version": "v2"})
    assert list(only_v2.context["cl"].result_list) == [v2]
    assert v1 not in only_v2.context["cl"].result_list
    panel = client.get(
        reverse("admin:emails_reengagementemail_change", args=[v2.pk])
    ).content.decode()
    assert (
        '<p id="review-variant"><strong>Prompt variant:</strong> v2 '
        "(experiment ab-1)</p>"
    ) in panel


def test_a_draft_without_a_variant_shows_no_variant_line(client):
    """Drafts made before variants were recorded say nothing about one."""
    email = pending_email()
    password_login(client, ReviewerFactory())
    panel = client.get(
        reverse("admin:emails_reengagementemail_change", args=[email.pk])
    ).content.decode()
    assert 'id="review-variant"' not in panel
    assert not RetentionAssignment.objects.exists()
