"""The staff accounts screen: managers look after staff without handing out power.

Managers hold view, add and change on users (``customers.roles``) so they can
onboard stylists. Django's own UserAdmin would also let them tick "superuser",
grant any permission (to themselves too), join any group, or reset a
superuser's password and sign in as one. Here a user who is not a superuser:

- sees no account that holds a permission they lack (superusers included), so
  such an account's pages, password form and history are a 404;
- cannot set superuser status or direct permissions (shown read-only);
- may give only groups whose permissions they hold themselves;
- cannot change their own groups, staff or active status.

Imported at the end of ``customers/admin.py``: admin autodiscovery imports
``django.contrib.auth``'s admin (the stock UserAdmin) first, in INSTALLED_APPS
order, so this module can replace it.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from stitchengage.admin_mixins import NotFoundOutsideBookMixin

User = get_user_model()


def permissions_beyond(user) -> QuerySet[Permission]:
    """Return the permissions a (non-superuser) user does not hold."""
    # One OR rather than a UNION: SQLite (the demo) refuses a compound subquery
    # with the ORDER BY that Permission's default ordering adds.
    held = Permission.objects.filter(Q(group__user=user) | Q(user=user)).values("pk")
    return Permission.objects.exclude(pk__in=held)


class StaffUserAdmin(NotFoundOutsideBookMixin, UserAdmin):
    """The stock user admin, narrowed to the power the editing user holds."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        beyond = permissions_beyond(request.user)
        return (
            qs.filter(is_superuser=False)
            .exclude(user_permissions__in=beyond)
            .exclude(groups__permissions__in=beyond)
        )

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        fields += ("is_superuser", "user_permissions")
        if obj is not None and obj.pk == request.user.pk:
            fields += ("groups", "is_staff", "is_active")
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.exclude(
                permissions__in=permissions_beyond(request.user)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
