"""The client list and page show, filter and sort by the current scores."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import RiskTier
from tests.scoring.factories import ClientScoreFactory

from .factories import ClientFactory, ManagerFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:customers_client_changelist")


@pytest.fixture
def book():
    at_risk = ClientFactory(first_name="Ava", risk_tier=RiskTier.AT_RISK)
    healthy = ClientFactory(first_name="Hal", risk_tier=RiskTier.HEALTHY)
    unscored = ClientFactory(first_name="Una")
    at_risk.score.churn_risk = 0.9
    at_risk.score.save()
    return at_risk, healthy, unscored


def _listed(client, **params) -> list[str]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [c.first_name for c in response.context["cl"].result_list]


def test_tier_filter_uses_the_current_score(client, book):
    client.force_login(ManagerFactory())
    assert _listed(client, tier=RiskTier.AT_RISK) == ["Ava"]
    assert _listed(client, tier=RiskTier.HEALTHY) == ["Hal"]
    assert _listed(client, tier=RiskTier.UNSCORED) == ["Una"]
    assert sorted(_listed(client)) == ["Ava", "Hal", "Una"]


def test_sorting_by_a_score_lists_the_scored_clients_by_that_score(client, book):
    client.force_login(ManagerFactory())
    response = client.get(CHANGELIST)
    headers = [h["text"] for h in response.context["result_headers"]]
    column = headers.index("Churn risk")  # the checkbox is column 0
    assert _listed(client, o=f"-{column}") == ["Ava", "Hal"]
    assert _listed(client, o=f"{column}") == ["Hal", "Ava"]
    engagement = headers.index("Engagement")
    assert sorted(_listed(client, o=f"{engagement}")) == ["Ava", "Hal"]
    # Sorting by name still lists everyone, unscored included.
    assert sorted(_listed(client, o="1")) == ["Ava", "Hal", "Una"]


def test_list_and_page_show_the_scores(client, book):
    at_risk, _, unscored = book
    client.force_login(ManagerFactory())
    listing = client.get(CHANGELIST).content.decode()
    assert "90%" in listing
    assert "At risk" in listing
    page = client.get(reverse("admin:customers_client_change", args=[at_risk.pk]))
    text = page.content.decode()
    assert "90%" in text
    assert "$250.00" in text
    page = client.get(reverse("admin:customers_client_change", args=[unscored.pk]))
    assert "Not scored yet" in page.content.decode()


def test_list_queries_stay_flat_with_scores(client, django_assert_max_num_queries):
    for _ in range(30):
        ClientScoreFactory()
    client.force_login(ManagerFactory())
    client.get(CHANGELIST)
    # 11: the unfiltered list also reads the planner's row estimate (one
    # pg_class row) before deciding whether to count.
    with django_assert_max_num_queries(11):
        client.get(CHANGELIST)
