"""Receivers of scoring: enqueue on commit, decide nothing.

A failed publish (the broker is down) is logged, not raised into the request
that saved the order: the order is committed, and the lost-work sweep
(``scoring.services.stale_scores``) rescores the client.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from customers.models import Order
from emails.services.task_queue import task_enqueue_on_commit
from scoring.tasks import rescore_client_task


@receiver(post_save, sender=Order, dispatch_uid="scoring.order_saved")
def order_saved(sender, instance: Order, raw: bool = False, **kwargs) -> None:
    if not raw:
        task_enqueue_on_commit(rescore_client_task, instance.client_id)
