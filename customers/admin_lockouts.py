"""Axes > Access attempts: the logins django-axes is counting or has locked.

Deleting a row unlocks that username and address at once ("Unlock" in the
action menu). Managers (and superusers) see and unlock; nobody edits or adds.
Registered here rather than through axes' own admin (``AXES_ENABLE_ADMIN`` is
off) so the screen follows the house rules for admin lists
(``SafeListQueryMixin``, no free-form filters) and the role table.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.actions import delete_selected

from stitchengage.admin_query import SafeListQueryMixin


@admin.action(permissions=["delete"], description="Unlock the selected logins")
def unlock_selected(modeladmin, request, queryset):
    return delete_selected(modeladmin, request, queryset)


@admin.register(AccessAttempt)
class LockoutAdmin(SafeListQueryMixin, admin.ModelAdmin):
    list_display = (
        "username",
        "ip_address",
        "failures_since_start",
        "locked",
        "attempt_time",
        "path_info",
    )
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    fields = (*list_display[:-1], "user_agent", "path_info")
    readonly_fields = fields
    actions = (unlock_selected,)

    @admin.display(boolean=True, description="locked")
    def locked(self, obj: AccessAttempt) -> bool:
        return obj.failures_since_start >= settings.AXES_FAILURE_LIMIT

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
