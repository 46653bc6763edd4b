"""Behaviour several admin screens share: read-only records, 404 outside a book.

One copy each, so a screen that should be read-only or narrowed by role says so
by its bases rather than by three methods copied from another app's admin.
"""

from __future__ import annotations

from django.http import Http404


class ReadOnlyAdminMixin:
    """Nobody adds, edits or deletes through the admin: a service writes these rows.

    Audit data (fits, runs, snapshots, transitions, assignments, import jobs) and
    anything whose state only a service may move.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class NotFoundOutsideBookMixin:
    """Answer 404 for a row the user's ``get_queryset`` leaves out, also by URL.

    Django's default for a missing object is a redirect with a message, which
    tells a stylist that another stylist's client (or email) exists. A 404 says
    nothing either way.
    """

    not_found_message = "No such record in your book."

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(self.not_found_message)
        return obj
