"""Roles and permissions read in one query: same answers as Django's ModelBackend."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from customers.access import RolesPermissionsBackend
from customers.roles import MANAGERS, REVIEWERS, STYLISTS
from customers.selectors import user_roles
from tests.customers.factories import user_with_role

pytestmark = pytest.mark.django_db
User = get_user_model()


def fresh(user):
    """The same user without any cache on the object, as a new request sees it."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def stylist_with_extra():
    """A stylist who is also a reviewer and holds one permission of their own."""
    user = user_with_role("stylist")
    user.groups.add(Group.objects.get(name=REVIEWERS))
    user.user_permissions.add(Permission.objects.get(codename="view_modelfit"))
    return user


@pytest.mark.parametrize("role", ["stylist", "reviewer", "manager"])
def test_permissions_match_model_backend(role):
    user = user_with_role(role)
    ours, django = RolesPermissionsBackend(), ModelBackend()
    assert ours.get_all_permissions(fresh(user)) == django.get_all_permissions(
        fresh(user)
    )
    assert ours.get_all_permissions(fresh(user))  # every role holds some


def test_user_and_group_permissions_kept_apart(stylist_with_extra):
    ours, django = RolesPermissionsBackend(), ModelBackend()
    user = fresh(stylist_with_extra)
    ours.get_all_permissions(user)
    reference = fresh(stylist_with_extra)
    assert ours.get_user_permissions(user) == django.get_user_permissions(reference)
    assert ours.get_user_permissions(user) == {"scoring.view_modelfit"}
    assert ours.get_group_permissions(user) == django.get_group_permissions(reference)
    assert user_roles(user) == {STYLISTS, REVIEWERS}


def test_roles_and_every_permission_check_cost_one_query(
    stylist_with_extra, django_assert_num_queries
):
    user = fresh(stylist_with_extra)
    with django_assert_num_queries(1):
        assert user_roles(user) == {STYLISTS, REVIEWERS}
        assert user.has_perm("customers.view_client")
        assert user.has_perm("scoring.view_modelfit")
        assert user.has_perm("emails.review_reengagementemail")
        assert not user.has_perm("customers.delete_client")
        assert user.has_module_perms("customers")


def test_superuser_keeps_every_permission():
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    admin.groups.add(Group.objects.get(name=MANAGERS))
    user = fresh(admin)
    assert user_roles(user) == {MANAGERS}
    assert RolesPermissionsBackend().get_all_permissions(user) == (
        ModelBackend().get_all_permissions(fresh(admin))
    )
    assert len(RolesPermissionsBackend().get_all_permissions(user)) == (
        Permission.objects.count()
    )


def test_inactive_user_has_no_permission():
    user = user_with_role("manager")
    user.is_active = False
    user.save()
    user = fresh(user)
    assert user_roles(user) == {MANAGERS}  # the role is a fact; access is not
    assert RolesPermissionsBackend().get_all_permissions(user) == set()
    assert not user.has_perm("customers.view_client")


def test_a_role_removed_takes_effect_on_the_next_request(client):
    """Nothing is cached past the request: the next one reads the change."""
    user = user_with_role("reviewer")
    client.force_login(user)
    url = reverse("admin:emails_reengagementemail_changelist")
    assert client.get(url).status_code == 200
    user.groups.clear()
    assert client.get(url).status_code == 403


def test_the_user_read_gives_what_the_orm_gives():
    user = user_with_role("reviewer", first_name="Ré", last_name="O'Neil")
    read = RolesPermissionsBackend().get_user(user.pk)
    orm = User.objects.get(pk=user.pk)
    assert read is not None
    assert {
        f.attname: getattr(read, f.attname) for f in User._meta.concrete_fields
    } == {f.attname: getattr(orm, f.attname) for f in User._meta.concrete_fields}
    assert read._state.adding is False
    assert read._state.db == "default"
    assert RolesPermissionsBackend().get_user(user.pk + 1000) is None
    user.is_active = False
    user.save()
    assert RolesPermissionsBackend().get_user(user.pk) is None


def test_sessions_read_live_and_refuse_expired(client, django_assert_num_queries):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from stitchengage.sessions import SessionStore

    user = user_with_role("stylist")
    client.force_login(user)
    key = client.cookies["sessionid"].value
    assert SessionStore(session_key=key).load()["_auth_user_id"] == str(user.pk)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    store = SessionStore(session_key=key)
    assert store.load() == {}
    assert store.session_key is None  # a new key on save, as Django's engine does
    assert client.get(reverse("admin:index")).status_code == 302  # signed out


def test_a_request_reads_session_user_and_access_in_three_statements(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user_with_role("stylist"))
    client.get("/admin/password_change/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/admin/password_change/").status_code == 200
    assert len(ctx.captured_queries) == 3, [q["sql"][:60] for q in ctx.captured_queries]
