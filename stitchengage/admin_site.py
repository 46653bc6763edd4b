"""The admin site: Django's, with each user's app list built once per access.

Every admin page builds the sidebar's list of apps and models: for each of the
~20 registered models its module permission, four model permissions and two
URL reversals, then renders ``admin/nav_sidebar.html`` around it, about 2.5 ms
of CPU a page under ``make bench-load``. What it shows depends only on who
may do what: the user's roles and permissions (every ``has_*_permission`` of
this project's admins decides by those; a new one that decides by anything
else must not be cached here) and, in the sidebar, which entry is the current
one. So both are kept per process, keyed by that access and, for the sidebar,
by the entries the path falls under; a changed role or permission is a new
key, so nothing goes stale. The keys are few (one per role, times the pages
of the sidebar), bounded anyway.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any
from urllib.parse import quote

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from customers.selectors import user_roles

CACHE_SIZE = 512


class _Bounded(OrderedDict):
    """A dict that forgets its oldest entries past ``CACHE_SIZE``."""

    def put(self, key, value) -> None:
        self[key] = value
        while len(self) > CACHE_SIZE:
            self.popitem(last=False)


def access_key(user) -> tuple:
    """Return what an app list depends on: the user's standing, roles, permissions."""
    standing = (user.is_active, user.is_staff, user.is_superuser)
    roles = frozenset(user_roles(user))
    if user.is_superuser:  # every permission, whatever the table holds
        return (*standing, roles)
    return (*standing, roles, frozenset(user.get_all_permissions()))


class SiteWithCachedAppList(admin.AdminSite):
    """``AdminSite`` whose app lists and sidebar are built once per access."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._app_lists = _Bounded()
        self._sidebars = _Bounded()

    @staticmethod
    def _key(request, part) -> tuple:
        """Return a cache key: the access, ``part``, URL prefix and language."""
        return (
            access_key(request.user),
            part,
            get_script_prefix(),
            translation.get_language(),
        )

    def get_app_list(self, request, app_label=None):
        key = self._key(request, app_label)
        app_list = self._app_lists.get(key)
        if app_list is None:
            app_list = super().get_app_list(request, app_label)
            self._app_lists.put(key, app_list)
        return copy.deepcopy(app_list)  # callers may change theirs

    def nav_sidebar_html(self, context) -> SafeString:
        """Return ``admin/nav_sidebar.html`` for this page, rendered once per key."""
        request = context["request"]
        apps = context.get("available_apps") or []
        path = quote(request.path)  # the template's request.path|urlencode
        current = tuple(
            (
                app["app_url"] in path,
                *(
                    bool(m["admin_url"] and m["admin_url"] in path)
                    for m in app["models"]
                ),
            )
            for app in apps
        )
        key = self._key(request, current)
        html = self._sidebars.get(key)
        if html is None:
            html = render_to_string(
                "admin/nav_sidebar.html", context.flatten(), request=request
            )
            self._sidebars.put(key, html)
        return mark_safe(html)  # noqa: S308 - rendered by the template engine
