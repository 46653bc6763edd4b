"""Receivers of scoring: enqueue on commit, decide nothing."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from customers.models import Order
from scoring.tasks import rescore_client_task


@receiver(post_save, sender=Order, dispatch_uid="scoring.order_saved")
def order_saved(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    if not raw:
        rescore_client_task.delay_on_commit(instance.client_id)
