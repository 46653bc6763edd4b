"""The admin site's app lists and sidebar, built once per access, as Django's."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from customers.roles import MANAGERS
from stitchengage.admin_site import SiteWithCachedAppList
from tests.customers import factories

pytestmark = pytest.mark.django_db

SIDEBAR = re.compile(rb'<nav class="sticky" id="nav-sidebar".*?</nav>', re.DOTALL)


def sidebar(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    found = SIDEBAR.search(response.content)
    assert found, url
    return found.group(0)


def caches_clear() -> None:
    admin.site._app_lists.clear()
    admin.site._sidebars.clear()


def test_the_project_runs_the_caching_site():
    assert isinstance(admin.site, SiteWithCachedAppList)


@pytest.mark.parametrize("role", ["stylist", "reviewer", "manager", "superuser"])
def test_cached_sidebar_is_the_freshly_rendered_one(client, role):
    """Page after page, the sidebar served from the cache is the one rendered anew."""
    customer = factories.ClientFactory()
    user = factories.user_with_role(role)
    client.force_login(user)
    urls = [  # the index and app pages have none
        "/admin/customers/client/",
        "/admin/customers/client/?tier=at_risk",
        "/admin/customers/order/",
        "/admin/emails/reengagementemail/",
        "/admin/password_change/",
    ]
    if role != "stylist":
        urls.append(f"/admin/customers/client/{customer.pk}/change/")
    caches_clear()
    cached = [sidebar(client, url) for url in urls]
    fresh = []
    for url in urls:
        caches_clear()
        fresh.append(sidebar(client, url))
    assert cached == fresh
    assert b"current-model" in cached[0]
    assert b"current-model" not in cached[4]


def test_app_lists_match_djangos_for_every_role(rf):
    for role in ["plain", "stylist", "reviewer", "manager", "superuser"]:
        request = rf.get("/admin/")
        request.user = factories.user_with_role(role)
        caches_clear()
        first = admin.site.get_app_list(request)
        again = admin.site.get_app_list(request)
        djangos = admin.AdminSite.get_app_list(admin.site, request)
        assert first == again == djangos, role


def test_built_once_per_access(client, monkeypatch):
    built = []
    build = admin.AdminSite._build_app_dict

    def counting(self, request, label=None):
        built.append(label)
        return build(self, request, label)

    monkeypatch.setattr(admin.AdminSite, "_build_app_dict", counting)
    caches_clear()
    for user in [factories.user_with_role("stylist") for _ in range(3)]:
        client.force_login(user)
        sidebar(client, "/admin/customers/client/")
        sidebar(client, "/admin/customers/order/")
    assert built == [None]  # three stylists, two pages each: one build


def test_a_new_role_is_a_new_list_at_once(client):
    user = factories.user_with_role("stylist")
    client.force_login(user)
    before = sidebar(client, "/admin/customers/client/")
    assert b"/admin/scoring/modelfit/" not in before
    user.groups.add(Group.objects.get(name=MANAGERS))
    after = sidebar(client, "/admin/customers/client/")
    assert b"/admin/scoring/modelfit/" in after
    user.groups.clear()
    assert b"/admin/customers/client/" not in sidebar(client, "/admin/password_change/")
