"""Keep each client's order facts (count of Fixes, latest Fix) in step with orders."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from customers.models import Client, Order
from customers.services.order_summary import client_order_summaries_refresh


def clients_order_facts_refresh(
    *, client_pks: Iterable[int], batch_size: int = 2000
) -> None:
    """Recompute ``order_count`` and ``last_order_at`` of these clients in SQL.

    Every Fix counts, whatever its status: these are the CRM's facts, not the
    scoring inputs (which skip canceled and future Fixes). The same call
    refreshes the clients' order summaries (the scoring inputs), after the
    client rows are locked by this update.
    """
    pks = sorted(set(client_pks))
    orders = Order.objects.filter(client=OuterRef("pk")).order_by().values("client")
    for start in range(0, len(pks), batch_size):
        Client.objects.filter(pk__in=pks[start : start + batch_size]).update(
            order_count=Coalesce(
                Subquery(orders.annotate(n=Count("pk")).values("n")), 0
            ),
            last_order_at=Subquery(
                orders.annotate(last=Max("ordered_at")).values("last")
            ),
        )
    client_order_summaries_refresh(client_pks=pks, batch_size=batch_size)


def clients_orders_written(*, client_pks: Iterable[int]) -> None:
    """After a bulk write of these clients' Fixes: what each Fix's save does.

    ``bulk_create`` and ``bulk_update`` fire no ``post_save``, so the writer
    calls this inside its transaction: the order facts and summaries now
    (``clients_order_facts_refresh``), and one rescore per client once the
    transaction commits (``scoring.receivers.order_saved`` publishes one per
    Fix). A publish that fails is logged; the lost-work sweep and the nightly
    run rescore the client.
    """
    from emails.services.task_queue import task_enqueue_each
    from scoring.tasks import rescore_client_task

    pks = sorted(set(client_pks))
    clients_order_facts_refresh(client_pks=pks)
    transaction.on_commit(partial(task_enqueue_each, rescore_client_task, pks))
