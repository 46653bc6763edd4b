"""docs/BAD_INPUT.md lists every bad-input case the tests try, by its pytest id.

The ids are read from the tests' own ``parametrize`` marks, so a case added to a
test table and not to the document (or a document row whose case is gone) fails
here, one case per test id.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet

DOC = Path(__file__).resolve().parents[1] / "docs" / "BAD_INPUT.md"

#: (module, test function, the parametrize argument whose ids name the cases).
TABLES = [
    (
        "tests.emails.test_unsubscribe",
        "test_bad_token_gets_the_invalid_page_and_changes_nothing",
        "name",
    ),
    (
        "tests.emails.test_unsubscribe",
        "test_other_methods_get_405_with_allow_and_change_nothing",
        "method",
    ),
    (
        "tests.emails.test_views_sns",
        "test_wrong_type_in_each_envelope_field_is_named",
        "field,kind",
    ),
    ("tests.emails.test_views_sns", "test_unreadable_bodies_say_why", "body,words"),
    (
        "tests.emails.test_views_sns",
        "test_untrusted_certificate_url_is_named_and_not_fetched",
        "url",
    ),
    (
        "tests.emails.test_views_sns",
        "test_notification_lacking_fields_names_the_field",
        "event,field",
    ),
    (
        "tests.stitchengage.test_admin_bad_params",
        "test_named_bad_parameters_get_a_page_or_the_invalid_filter_redirect",
        "case",
    ),
    (
        "tests.customers.test_background_import",
        "test_bad_input_through_the_background_job",
        "model,content,expected",
    ),
    (
        "tests.customers.test_background_import",
        "test_unique_clashes_name_row_and_field_on_both_paths",
        "content,expected",
    ),
    (
        "tests.customers.test_order_import",
        "test_bad_input_table",
        "content,expected",
    ),
    (
        "tests.customers.test_background_import",
        "test_an_order_row_without_its_client_names_line_and_field",
        "row,expected",
    ),
    (
        "tests.aws.test_import_s3",
        "test_an_upload_while_s3_refuses_says_so_and_records_nothing",
        "refusal",
    ),
]
#: Cases that are a test of their own, listed by the test's name.
SINGLE = [
    "test_deleted_client_page_is_the_garbage_page",
    "test_already_unsubscribed_one_click_keeps_the_first_opt_out",
    "test_a_link_life_under_30_days_stops_the_deploy",
    "test_no_token_reaches_the_log",
    "test_unknown_type_is_named",
    "test_five_megabyte_body_is_refused_unread",
    "test_body_limit_is_a_setting",
    "test_subscription_for_untrusted_topic_makes_no_outbound_request",
    "test_notification_whose_message_is_not_json_is_acknowledged",
    "test_the_email_a_client_receives_shows_payloads_as_text",
    "test_injected_note_and_comment_stay_data_and_an_obeying_answer_fails",
    "test_a_row_turned_invalid_before_the_write_rolls_back_everything",
    "test_a_bad_row_on_line_100001_writes_nothing",
    "test_a_confirm_while_s3_is_down_keeps_the_file_and_works_once_back",
    "test_a_job_whose_file_is_gone_says_upload_it_again",
]
# The SNS wrong-type table is listed as one row with its id pattern.
PATTERNS = {"field,kind": lambda case: "<Field>-<number\\|list\\|object\\|null>"}


def _ids(module: str, function: str, argnames: str) -> list[str]:
    test = getattr(importlib.import_module(module), function)

    def names(mark) -> str:
        first = mark.args[0]
        return ",".join(first) if isinstance(first, list | tuple) else first

    (mark,) = [
        m
        for m in getattr(test, "pytestmark", [])
        if m.name == "parametrize" and names(m).replace(" ", "") == argnames
    ]
    values, given = mark.args[1], mark.kwargs.get("ids")
    if given is not None and not callable(given):
        return [str(i) for i in given]
    return [
        value.id if isinstance(value, ParameterSet) and value.id else str(value)
        for value in values
    ]


def _cases() -> list:
    cases = []
    for module, function, argnames in TABLES:
        for case in _ids(module, function, argnames):
            listed = PATTERNS.get(argnames, lambda c: c)(case)
            cases.append(pytest.param(listed, id=f"{function}[{case}]"))
    cases.extend(pytest.param(name, id=name) for name in SINGLE)
    return cases


CASES = _cases()


@pytest.mark.parametrize("listed", CASES)
def test_case_is_listed_with_its_answer(listed):
    """Each case's id appears in docs/BAD_INPUT.md, in a table row."""
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("|")]
    assert any(f"`{listed}`" in row for row in rows), f"{listed} not in {DOC.name}"


def test_at_least_30_cases_beyond_last_sessions():
    """Issue 17 asks for 30 cases at least beyond the earlier import ones."""
    earlier = ("test_bad_input_through_the_background_job", "test_bad_input_table")
    new = [c for c in CASES if not c.id.startswith(earlier)]
    assert len(new) >= 30
