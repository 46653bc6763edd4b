"""Experiments: the reproducible prompt split, where it is recorded, start and stop."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from emails.models import (
    EmailStatus,
    Experiment,
    RetentionAssignment,
)
from emails.services.drafting import draft_generate, draft_request_evaluate
from emails.services.experiments import (
    DEFAULT_BASELINE,
    ExperimentError,
    ExperimentPlan,
    Variant,
    experiment_plan_current,
    experiment_start,
    experiment_stop,
    variant_pick,
)
from emails.services.holdout import holdout_group
from emails.services.review import email_regenerate
from tests.customers.factories import ClientFactory, ReviewerFactory
from tests.emails.conftest import snapshot_make

pytestmark = pytest.mark.django_db
Group = RetentionAssignment.Group


def _plan(*weights: float, name: str = "ab-1") -> ExperimentPlan:
    return ExperimentPlan(
        name=name,
        holdout_share=0.0,
        variants=tuple(
            Variant(prompt_version=f"v{i + 1}", weight=w) for i, w in enumerate(weights)
        ),
    )


@pytest.mark.parametrize("weights", [(50, 50), (70, 30), (1, 1, 2)])
def test_split_is_reproducible_and_follows_the_weights(weights):
    """Same client, same variant; over 10,000 ids each share is within 1.5 pp."""
    plan = _plan(*weights)
    ids = range(1, 10_001)
    picks = [variant_pick(plan=plan, client_id=i) for i in ids]
    assert picks == [variant_pick(plan=plan, client_id=i) for i in ids]
    counts = Counter(picks)
    for variant in plan.variants:
        expected = variant.weight / sum(weights)
        assert counts[variant.prompt_version] / len(picks) == pytest.approx(
            expected, abs=0.015
        )


def test_split_is_independent_of_the_holdout_draw_and_of_other_experiments():
    """The variant share is the same among near-holdout and far clients, per name."""
    plan = _plan(50, 50)
    ids = range(1, 10_001)
    close = [
        i
        for i in ids
        if holdout_group(experiment=plan.name, client_id=i, share=0.3) == Group.HOLDOUT
    ]
    share = Counter(variant_pick(plan=plan, client_id=i) for i in close)["v1"]
    assert share / len(close) == pytest.approx(0.5, abs=0.03)
    other = _plan(50, 50, name="ab-2")
    same = sum(
        variant_pick(plan=plan, client_id=i) == variant_pick(plan=other, client_id=i)
        for i in ids
    )
    assert same / len(ids) == pytest.approx(0.5, abs=0.03)


def test_without_an_active_experiment_the_settings_describe_it(settings):
    """No row active: the settings' name, holdout share and prompt version."""
    settings.REENGAGEMENT_EXPERIMENT = "reengagement-v1"
    settings.REENGAGEMENT_HOLDOUT_SHARE = 0.25
    settings.EMAIL_PROMPT_VERSION = "v1"
    assert experiment_plan_current() == ExperimentPlan(
        name="reengagement-v1",
        holdout_share=0.25,
        variants=(Variant(prompt_version="v1", weight=1.0),),
    )


def test_drafting_records_the_variant_on_the_assignment_and_the_email():
    """Each treated client's variant is drawn once and kept on both rows."""
    experiment_start(name="ab-1", prompt_versions=["v1", "v2"], holdout_share=0.0)
    seen = set()
    for _ in range(12):
        client = ClientFactory()
        snapshot = snapshot_make(client)
        request = draft_request_evaluate(snapshot_id=snapshot.pk)
        assignment = RetentionAssignment.objects.get(snapshot=snapshot)
        expected = variant_pick(plan=experiment_plan_current(), client_id=client.pk)
        assert (assignment.experiment, assignment.prompt_version) == ("ab-1", expected)
        assert request.email.prompt_version == expected
        seen.add(expected)
    assert seen == {"v1", "v2"}


def test_held_out_clients_get_no_variant():
    """The holdout is never emailed, so it has no prompt variant."""
    experiment_start(name="ab-1", prompt_versions=["v1", "v2"], holdout_share=0.99)
    client = next(
        c
        for c in (ClientFactory() for _ in range(50))
        if holdout_group(experiment="ab-1", client_id=c.pk, share=0.99) == Group.HOLDOUT
    )
    draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
    assignment = RetentionAssignment.objects.get(client=client)
    assert (assignment.group, assignment.prompt_version) == (Group.HOLDOUT, "")


def _client_in(variant: str):
    plan = experiment_plan_current()
    return next(
        c
        for c in (ClientFactory(first_name="Ana") for _ in range(50))
        if variant_pick(plan=plan, client_id=c.pk) == variant
    )


def test_the_draft_is_written_by_its_variant_and_a_regeneration_keeps_it(
    settings, monkeypatch
):
    """A v2 client's draft comes from v2, and so does the draft that replaces it."""
    settings.OPENROUTER_API_KEY = ""  # the offline composer, which has a v2 layout
    monkeypatch.setattr(
        "emails.services.drafting.draft_enqueue", lambda *, email_id: True
    )
    experiment_start(name="ab-1", prompt_versions=["v1", "v2"], holdout_share=0.0)
    client = _client_in("v2")
    request = draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
    email = draft_generate(email=request.email).email
    assert (email.status, email.prompt_version) == (EmailStatus.PENDING_REVIEW, "v2")
    new = email_regenerate(email=email, reviewer=ReviewerFactory())
    assert new.prompt_version == "v2"
    drafted = draft_generate(email=new).email
    assert drafted.prompt_version == "v2"
    assert drafted.status == EmailStatus.PENDING_REVIEW


def test_v1_and_v2_clients_get_differently_built_drafts(settings):
    """The demo shows the variants apart: v2 opens with the stylist's picks."""
    settings.OPENROUTER_API_KEY = ""
    experiment_start(name="ab-1", prompt_versions=["v1", "v2"], holdout_share=0.0)
    bodies = {}
    for variant in ("v1", "v2"):
        client = _client_in(variant)
        request = draft_request_evaluate(snapshot_id=snapshot_make(client).pk)
        bodies[variant] = draft_generate(email=request.email).email.body
    second_paragraph = {v: b.split("\n\n")[1] for v, b in bodies.items()}
    assert "since" in second_paragraph["v1"]
    assert "Fix" in second_paragraph["v2"]
    assert "since" not in second_paragraph["v2"]


def test_start_plans_the_sample_size_and_only_one_runs_at_a_time():
    """The plan is stored; a second start is refused until the first is stopped."""
    experiment = experiment_start(
        name="ab-1",
        prompt_versions=["v1", "v2"],
        weights=[50, 50],
        holdout_share=0.1,
        mde=0.05,
        baseline=0.10,
    )
    assert experiment.planned_n_per_arm == 686
    assert experiment.variants == [
        {"prompt_version": "v1", "weight": 50},
        {"prompt_version": "v2", "weight": 50},
    ]
    assert experiment_plan_current().name == "ab-1"
    with pytest.raises(ExperimentError, match="'ab-1' is running; stop it first"):
        experiment_start(name="ab-2", prompt_versions=["v1", "v2"])
    experiment_stop(name="ab-1")
    assert not Experiment.objects.get(name="ab-1").active
    assert experiment_start(name="ab-2", prompt_versions=["v1", "v2"]).active


def test_start_uses_the_measured_baseline_only_with_enough_windows():
    """Fewer than 100 closed treated windows: the default baseline is planned on."""
    experiment = experiment_start(name="ab-1", prompt_versions=["v1", "v2"])
    assert experiment.baseline_rate == DEFAULT_BASELINE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt_versions": ["v1", "v999"]}, "unknown prompt version 'v999'"),
        ({"prompt_versions": ["v1", "../x"]}, "invalid prompt version"),
        ({"prompt_versions": ["v1", "v1"]}, "once"),
        ({"prompt_versions": ["v1", "v2"], "weights": [50]}, "1 weights for 2"),
        ({"prompt_versions": ["v1", "v2"], "weights": [50, 0]}, "positive"),
        ({"prompt_versions": ["v1", "v2"], "holdout_share": 1.0}, r"\[0, 1\)"),
        ({"prompt_versions": ["v1", "v2"], "mde": 0.9}, "detectable"),
    ],
)
def test_start_refuses_a_bad_design(kwargs, message):
    """Each mistake is named; nothing is created."""
    with pytest.raises(ExperimentError, match=message):
        experiment_start(name="ab-1", **kwargs)
    assert not Experiment.objects.exists()


def test_a_name_already_used_cannot_be_started_again():
    """Assignments recorded under a name keep it: a new experiment needs a new one."""
    RetentionAssignment.objects.create(
        client=ClientFactory(),
        group=Group.TREATMENT,
        holdout_share=0.1,
        experiment="old",
    )
    with pytest.raises(ExperimentError, match="already assigned under 'old'"):
        experiment_start(name="old", prompt_versions=["v1", "v2"])


def test_stop_refuses_unknown_and_stopped_experiments():
    """Stopping twice, or a name that does not exist, is an error."""
    with pytest.raises(ExperimentError, match="No experiment named 'nope'"):
        experiment_stop(name="nope")
    experiment_start(name="ab-1", prompt_versions=["v1"])
    experiment_stop(name="ab-1")
    with pytest.raises(ExperimentError, match="stopped already"):
        experiment_stop(name="ab-1")


def test_migration_turns_assignment_names_into_experiments(settings):
    """The settings' experiment stays active; other past names are stopped."""
    settings.REENGAGEMENT_EXPERIMENT = "reengagement-v1"
    settings.REENGAGEMENT_HOLDOUT_SHARE = 0.1
    earlier = timezone.now() - dt.timedelta(days=30)
    for name in ("reengagement-v1", "reengagement-v1", "pilot"):
        row = RetentionAssignment.objects.create(
            client=ClientFactory(),
            group=Group.HOLDOUT,
            holdout_share=0.2,
            experiment=name,
        )
        RetentionAssignment.objects.filter(pk=row.pk).update(assigned_at=earlier)
    migration = importlib.import_module("emails.migrations.0005_experiments")
    migration.experiments_from_assignments(django_apps, None)
    migration.experiments_from_assignments(django_apps, None)  # idempotent
    live, pilot = (
        Experiment.objects.get(name="reengagement-v1"),
        Experiment.objects.get(name="pilot"),
    )
    assert live.active
    assert live.holdout_share == 0.1
    assert live.variants == [{"prompt_version": "v1", "weight": 100}]
    assert pilot.stopped_at == earlier
    assert pilot.started_at == earlier
    assert experiment_plan_current().name == "reengagement-v1"


def test_drafting_reads_the_active_experiment_in_its_one_read():
    """The running experiment comes with the drafting facts, not a query more."""
    from emails.services.drafting_facts import drafting_facts

    experiment_start(name="ab-1", prompt_versions=["v1", "v2"], weights=[30, 70])
    snapshot = snapshot_make(ClientFactory())
    facts = drafting_facts(snapshot_id=snapshot.pk, idempotency_key="k")
    assert facts.experiment == experiment_plan_current()
    assert facts.experiment.variants[1] == Variant(prompt_version="v2", weight=70)
