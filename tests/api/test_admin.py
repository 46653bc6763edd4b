"""The API token admin: Managers create (token shown once) and revoke."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from api.models import ApiToken
from api.services.tokens import token_create, token_hash
from customers.roles import MANAGERS, REVIEWERS, STYLISTS
from tests.customers.factories import ManagerFactory, ReviewerFactory, StylistFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/api/apitoken/add/"


def test_manager_creates_a_token_and_sees_it_once(client):
    """The add form shows the plaintext once; only its hash is stored."""
    client.force_login(ManagerFactory())
    response = client.post(
        ADD_URL,
        {
            "name": "Shop ERP",
            "source": "erp",
            "scopes": ["orders:write", "clients:read"],
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    plaintext = response.context["plaintext"]
    assert plaintext.encode() in response.content
    assert token.key_hash == token_hash(plaintext)
    assert token.scopes == "clients:read orders:write"
    change = client.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert plaintext.encode() not in change.content
    assert token.key_hash.encode() not in change.content


def test_manager_revokes_tokens(client):
    client.force_login(ManagerFactory())
    token, _ = token_create(name="ERP", source="erp", scopes=["orders:write"])
    response = client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert b"Revoked 1 token" in response.content
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize("factory", [StylistFactory, ReviewerFactory])
def test_only_managers_manage_tokens(client, factory):
    client.force_login(factory())
    assert client.get("/admin/api/apitoken/").status_code == 403
    assert client.get(ADD_URL).status_code == 403


def test_roles_table_gives_tokens_to_managers_only():
    def codenames(group: str) -> set[str]:
        return set(
            Group.objects.get(name=group)
            .permissions.filter(content_type__app_label="api")
            .values_list("codename", flat=True)
        )

    assert codenames(MANAGERS) == {
        "view_apitoken", "add_apitoken", "change_apitoken", "delete_apitoken"
    }  # fmt: skip
    assert codenames(STYLISTS) == codenames(REVIEWERS) == set()
