"""The customers receivers live in customers/receivers.py, connected by ready()."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save

from customers import receivers
from customers.models import Order


def _sync_receivers(signal, sender) -> list:
    """Return the live synchronous receivers of ``signal`` for ``sender``."""
    return signal._live_receivers(sender)[0]


def test_order_receivers_are_connected_from_the_receivers_module():
    assert receivers.order_moving in _sync_receivers(pre_save, Order)
    assert receivers.order_changed in _sync_receivers(post_save, Order)
    assert receivers.order_changed in _sync_receivers(post_delete, Order)


def test_roles_are_resynced_after_the_customers_app_migrates():
    customers_config = apps.get_app_config("customers")
    assert receivers.roles_resync in _sync_receivers(post_migrate, customers_config)


def test_connecting_twice_connects_each_receiver_once():
    """ready() may run again (tests, reloads): the dispatch_uids keep one each."""
    receivers.connect(apps.get_app_config("customers"))
    assert _sync_receivers(post_save, Order).count(receivers.order_changed) == 1
