"""A user, their roles and permissions: two plain statements per request.

Every admin page asks who the user is twice over: Django's ``ModelBackend``
reads the user's own and their groups' permissions (two queries), and
``customers.selectors.user_roles`` reads the group names (a third). Measured
in process against PostgreSQL, those three cost 2.7 ms of CPU per request (an
ORM union of them 2.9-3.4 ms: its compilation is the cost), one plain
statement 0.2 ms (``customers.sql.user_access_sql``). ``user_access_load``
runs it and fills the caches both keep on the user object, so each is read
at most once per request, as before, with the same answers. The user's own
row is read the same way (``ModelBackend.get_user``'s ORM ``get``: 0.5 ms of
CPU, one statement 0.15 ms), through Django's converters into a model instance.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router

from customers.sql import user_access_sql, user_row_sql
from stitchengage.sql import row_converter


def user_by_id(user_id):
    """Return the user with this primary key, as ``objects.get`` would, or None."""
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    sql, names = user_row_sql()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = row_converter(user_model, names, connections[alias])(row)
    return user_model.from_db(alias, names, values)


def user_access_load(user) -> None:
    """Set ``user``'s role names and permission caches from one statement.

    The caches are the ones ``ModelBackend`` reads (``_user_perm_cache``,
    ``_group_perm_cache``, ``_perm_cache``: "app_label.codename" strings) and
    ``user_roles``' ``_stitch_roles``. A superuser's permissions keep
    ``ModelBackend``'s own path (every permission; ``has_perm`` never asks).
    """
    found: dict[str, set[str]] = {"role": set(), "user": set(), "group": set()}
    alias = router.db_for_read(get_user_model())
    with connections[alias].cursor() as cursor:
        cursor.execute(user_access_sql(), [user.pk] * 3)
        for kind, name in cursor.fetchall():
            found[kind].add(name)
    user._stitch_roles = found["role"]
    if not user.is_superuser:
        user._user_perm_cache = found["user"]
        user._group_perm_cache = found["group"]
        user._perm_cache = found["user"] | found["group"]


class RolesPermissionsBackend(ModelBackend):
    """``ModelBackend`` whose user and permission reads are plain statements."""

    def get_user(self, user_id):
        user = user_by_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if (
            user_obj.is_active
            and not user_obj.is_anonymous
            and obj is None
            and not user_obj.is_superuser
            and not hasattr(user_obj, "_perm_cache")
        ):
            user_access_load(user_obj)
        return super().get_all_permissions(user_obj, obj)
