"""The role matrix, exercised through the admin's own URLs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from customers.models import Client, Order
from customers.roles import MANAGERS, REVIEWERS, STYLISTS

pytestmark = pytest.mark.django_db


def make_user(username: str, group: str | None) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def book():
    alice = make_user("alice", STYLISTS)
    bob = make_user("bob", STYLISTS)
    reviewer = make_user("rita", REVIEWERS)
    manager = make_user("max", MANAGERS)
    mine = Client.objects.create(
        first_name="Ann", email="ann@example.com", stylist=alice
    )
    theirs = Client.objects.create(
        first_name="Ben", email="ben@example.com", stylist=bob
    )
    order = Order.objects.create(client=theirs, items_sent=5, items_kept=2, amount=90)
    return {
        "alice": alice,
        "bob": bob,
        "reviewer": reviewer,
        "manager": manager,
        "mine": mine,
        "theirs": theirs,
        "their_order": order,
    }


def change_url(obj) -> str:
    return reverse(f"admin:customers_{obj._meta.model_name}_change", args=[obj.pk])


def test_role_groups_are_created_by_migrations():
    """The three role groups exist with permissions after migrate."""
    names = set(Group.objects.values_list("name", flat=True))
    assert {STYLISTS, REVIEWERS, MANAGERS} <= names
    stylist_perms = set(
        Group.objects.get(name=STYLISTS).permissions.values_list("codename", flat=True)
    )
    assert {"view_client", "change_client", "add_order"} <= stylist_perms
    assert "delete_client" not in stylist_perms


def test_stylist_lists_only_own_clients(client, book):
    """A stylist's client list shows their clients and nobody else's."""
    client.force_login(book["alice"])
    response = client.get(reverse("admin:customers_client_changelist"))
    assert response.status_code == 200
    assert b"ann@example.com" in response.content
    assert b"ben@example.com" not in response.content


def test_stylist_cannot_open_another_stylists_client_by_url(client, book):
    """Another stylist's client is a 404, not a page and not a redirect."""
    client.force_login(book["alice"])
    assert client.get(change_url(book["mine"])).status_code == 200
    assert client.get(change_url(book["theirs"])).status_code == 404
    assert client.get(change_url(book["their_order"])).status_code == 404
    response = client.post(change_url(book["theirs"]), {"first_name": "Hacked"})
    assert response.status_code == 404
    book["theirs"].refresh_from_db()
    assert book["theirs"].first_name == "Ben"


def test_stylist_cannot_reassign_or_delete(client, book):
    """Stylists edit their clients but cannot reassign, fake consent or delete."""
    client.force_login(book["alice"])
    page = client.get(change_url(book["mine"])).content.decode()
    assert 'name="stylist"' not in page
    assert 'name="marketing_consent"' not in page
    delete = reverse("admin:customers_client_delete", args=[book["mine"].pk])
    assert client.get(delete).status_code == 403


def test_reviewer_views_all_clients_read_only(client, book):
    """Reviewers see every client but cannot change one."""
    client.force_login(book["reviewer"])
    listing = client.get(reverse("admin:customers_client_changelist")).content
    assert b"ann@example.com" in listing
    assert b"ben@example.com" in listing
    page = client.get(change_url(book["theirs"])).content.decode()
    assert 'name="first_name"' not in page  # rendered read-only
    client.post(change_url(book["theirs"]), {"first_name": "Hacked"})
    book["theirs"].refresh_from_db()
    assert book["theirs"].first_name == "Ben"


def test_manager_manages_everything(client, book):
    """Managers open, add and delete any client."""
    client.force_login(book["manager"])
    assert client.get(change_url(book["theirs"])).status_code == 200
    assert client.get(reverse("admin:customers_client_add")).status_code == 200
    delete = reverse("admin:customers_client_delete", args=[book["theirs"].pk])
    assert client.get(delete).status_code == 200


def test_user_without_role_sees_nothing(client, book):
    """A staff user with no role is refused the client book."""
    nobody = make_user("nobody", None)
    client.force_login(nobody)
    assert client.get(reverse("admin:customers_client_changelist")).status_code == 403


def test_stylist_order_list_and_autocomplete_are_narrowed(client, book):
    """A stylist's order list and client autocomplete hold only their clients."""
    client.force_login(book["alice"])
    orders = client.get(reverse("admin:customers_order_changelist")).content
    assert f"/{book['their_order'].pk}/change/".encode() not in orders
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "customers",
            "model_name": "order",
            "field_name": "client",
            "term": "",
        },
    )
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(book["mine"].pk)}


def test_reviewers_and_managers_can_review_but_stylists_only_comment():
    """Review permission goes to Reviewers and Managers; Stylists may only comment."""

    def perms(name: str) -> set[str]:
        group = Group.objects.get(name=name)
        return set(group.permissions.values_list("codename", flat=True))

    assert "review_reengagementemail" in perms(REVIEWERS)
    assert "review_reengagementemail" in perms(MANAGERS)
    assert "review_reengagementemail" not in perms(STYLISTS)
    assert "comment_reengagementemail" in perms(STYLISTS)
    assert "view_scoresnapshot" in perms(STYLISTS)
