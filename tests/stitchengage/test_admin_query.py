"""Big lists skip whole-table work: index-backed filter values, few drill-downs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from emails.models import EmailStatus, ReengagementEmail
from stitchengage.admin_query import distinct_values_by_index
from tests.customers.factories import (
    ClientFactory,
    ManagerFactory,
    OrderFactory,
    ReviewerFactory,
    StylistFactory,
)
from tests.emails.factories import ReengagementEmailFactory

pytestmark = pytest.mark.django_db

EMAILS = "/admin/emails/reengagementemail/"
ORDERS = "/admin/customers/order/"


def emails_make(variants: list[str]) -> None:
    ReengagementEmail.objects.bulk_create(
        ReengagementEmailFactory.build(
            client=ClientFactory(),
            status=EmailStatus.PENDING_REVIEW,
            prompt_version=variant,
            provider="offline-template",
        )
        for i, variant in enumerate(variants)
    )


def test_distinct_values_by_index_lists_each_value_once():
    """The index walk returns every distinct value, in order, NULLs left out."""
    emails_make(["v2", "v1", "v2", "", "v1"])
    field = ReengagementEmail._meta.get_field("prompt_version")
    assert distinct_values_by_index(ReengagementEmail, field) == ["", "v1", "v2"]


def test_plain_field_filter_lists_values_without_distinct(client):
    """The prompt variant filter offers the values present, with no DISTINCT scan."""
    emails_make(["v1", "v2", "v2"])
    client.force_login(ReviewerFactory())
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(EMAILS, {"queue": "all"}).content.decode()
    assert "prompt_version=v1" in page
    assert "prompt_version=v2" in page
    assert not [q for q in ctx.captured_queries if "DISTINCT" in q["sql"]]
    assert (
        len(client.get(EMAILS, {"prompt_version": "v2"}).context["cl"].result_list) == 2
    )


def test_date_drill_down_only_on_the_whole_list(client):
    """A narrowed order list (a stylist's) shows no drill-down and runs no MIN/MAX.

    The whole list keeps it: its MIN and MAX are two index probes.
    """
    stylist = StylistFactory()
    OrderFactory(client=ClientFactory(stylist=stylist))
    client.force_login(stylist)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(ORDERS).content.decode()
    assert "ordered_at__year=" not in page
    assert not [q for q in ctx.captured_queries if "MIN(" in q["sql"].upper()]
    client.force_login(ManagerFactory())
    assert "ordered_at__year=" in client.get(ORDERS).content.decode()
    searched = client.get(ORDERS, {"q": "a"}).content.decode()
    assert "ordered_at__year=" not in searched
