"""Receivers of the customers app: thin, the work is in services."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save

from .models import Order
from .services.order_facts import clients_order_facts_refresh


def roles_resync(sender, apps=global_apps, **kwargs) -> None:
    """Re-apply the role table once migrations have run."""
    from .roles import roles_sync

    roles_sync(apps)


def order_moving(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    """Remember the client a Fix is moved away from, to refresh it too."""
    if not raw and instance.pk:
        instance._moved_from = (
            Order.objects.filter(pk=instance.pk)
            .exclude(client_id=instance.client_id)
            .values_list("client_id", flat=True)
            .first()
        )


def order_changed(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    """Refresh the client's facts and order summary in the same transaction."""
    if not raw:
        moved_from = getattr(instance, "_moved_from", None)
        clients_order_facts_refresh(
            client_pks=[instance.client_id, *([moved_from] if moved_from else [])]
        )


def connect(app_config) -> None:
    """Connect the receivers; called from ``CustomersConfig.ready()``."""
    # Keep role groups in step with customers.roles after every migrate, so
    # permissions of models added by later migrations reach the groups too.
    post_migrate.connect(
        roles_resync, sender=app_config, dispatch_uid="customers.roles_resync"
    )
    pre_save.connect(order_moving, sender=Order, dispatch_uid="customers.order_moving")
    post_save.connect(order_changed, sender=Order, dispatch_uid="customers.order_saved")
    post_delete.connect(
        order_changed, sender=Order, dispatch_uid="customers.order_deleted"
    )
