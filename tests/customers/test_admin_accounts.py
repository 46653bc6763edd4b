"""The staff accounts screen: a manager onboards staff but hands out no extra power."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from customers.roles import MANAGERS, STYLISTS

from .factories import ManagerFactory, StylistFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def user_form(user, **changes) -> dict:
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
    }
    data.update(changes)
    return data


def test_manager_cannot_grant_superuser_or_direct_permissions(client):
    """A forged "superuser" tick or permission list from a manager is ignored."""
    manager, stylist = ManagerFactory(), StylistFactory()
    client.force_login(manager)
    response = client.post(
        change_url(stylist),
        user_form(
            stylist,
            first_name="Renamed",
            is_superuser="on",
            user_permissions=[str(Permission.objects.get(codename="delete_user").pk)],
        ),
    )
    assert response.status_code == 302
    stylist.refresh_from_db()
    assert stylist.first_name == "Renamed"
    assert not stylist.is_superuser
    assert not stylist.user_permissions.exists()


def test_manager_cannot_change_their_own_groups(client):
    """A manager cannot add themselves to a group, nor drop their staff status."""
    manager = ManagerFactory()
    client.force_login(manager)
    client.post(
        change_url(manager),
        user_form(manager, groups=[str(Group.objects.get(name=STYLISTS).pk)]),
    )
    assert set(manager.groups.values_list("name", flat=True)) == {MANAGERS}


def test_manager_gives_only_groups_within_their_own_power(client):
    """A group holding a permission the manager lacks is not a choice."""
    powerful = Group.objects.create(name="Schedulers")
    powerful.permissions.add(Permission.objects.get(codename="delete_periodictask"))
    manager, stylist = ManagerFactory(), StylistFactory()
    client.force_login(manager)
    client.post(change_url(stylist), user_form(stylist, groups=[str(powerful.pk)]))
    assert not stylist.groups.filter(pk=powerful.pk).exists()
    page = client.get(change_url(stylist)).content.decode()
    assert "Schedulers" not in page
    assert STYLISTS in page


def test_manager_cannot_open_or_reset_a_superuser(client):
    """A superuser's pages and password form are a 404 to a manager."""
    root = SuperuserFactory()
    client.force_login(ManagerFactory())
    password = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(change_url(root)).status_code == 404
    response = client.post(
        password,
        {"password1": "Taken-over-1234", "password2": "Taken-over-1234"},
    )
    assert response.status_code == 404
    root.refresh_from_db()
    assert not root.check_password("Taken-over-1234")
    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert root.username not in listing


def test_superuser_still_manages_everything(client):
    """The narrowing applies to non-superusers only."""
    stylist = StylistFactory()
    client.force_login(SuperuserFactory())
    client.post(change_url(stylist), user_form(stylist, is_superuser="on"))
    stylist.refresh_from_db()
    assert stylist.is_superuser
