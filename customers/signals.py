"""Receivers of the customers app: thin, the work is in services."""

from django.apps import apps as global_apps
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Order
from .services.order_facts import clients_order_facts_refresh


def roles_resync(sender, apps=global_apps, **kwargs) -> None:
    """Re-apply the role table once migrations have run."""
    from .roles import roles_sync

    roles_sync(apps)


@receiver(post_save, sender=Order, dispatch_uid="customers.order_saved")
@receiver(post_delete, sender=Order, dispatch_uid="customers.order_deleted")
def order_changed(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    """Refresh the client's Fix count and latest Fix in the same transaction."""
    if not raw:
        clients_order_facts_refresh(client_pks=[instance.client_id])
