"""Receivers of the customers app."""

from django.apps import apps as global_apps


def roles_resync(sender, apps=global_apps, **kwargs) -> None:
    """Re-apply the role table once migrations have run."""
    from .roles import roles_sync

    roles_sync(apps)
