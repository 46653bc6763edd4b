"""Receivers of the customers app: thin, the work is in services."""

from django.apps import apps as global_apps
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Order
from .services.order_facts import clients_order_facts_refresh


def roles_resync(sender, apps=global_apps, **kwargs) -> None:
    """Re-apply the role table once migrations have run."""
    from .roles import roles_sync

    roles_sync(apps)


@receiver(pre_save, sender=Order, dispatch_uid="customers.order_moving")
def order_moving(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    """Remember the client a Fix is moved away from, to refresh it too."""
    if not raw and instance.pk:
        instance._moved_from = (
            Order.objects.filter(pk=instance.pk)
            .exclude(client_id=instance.client_id)
            .values_list("client_id", flat=True)
            .first()
        )


@receiver(post_save, sender=Order, dispatch_uid="customers.order_saved")
@receiver(post_delete, sender=Order, dispatch_uid="customers.order_deleted")
def order_changed(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    """Refresh the client's facts and order summary in the same transaction."""
    if not raw:
        moved_from = getattr(instance, "_moved_from", None)
        clients_order_facts_refresh(
            client_pks=[instance.client_id, *([moved_from] if moved_from else [])]
        )
