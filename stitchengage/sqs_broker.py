"""Celery's broker on SQS: the URL, the predefined queues and per-message delays.

Read by settings (production) and by the tests (moto's queues), so both build the
same kombu configuration. Settings import this module: it reads no Django setting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

#: SQS takes at most 15 minutes of per-message delay (DelaySeconds).
SQS_MAX_DELAY_SECONDS = 900


def sqs_broker_url(*, broker_url: str, endpoint_url: str | None) -> str:
    """Return ``broker_url`` pointed at ``endpoint_url`` when one is set.

    kombu's SQS transport reads its endpoint from the broker URL's host (it has no
    ``endpoint_url`` option), so settings.AWS_ENDPOINT_URL (moto's server in tests,
    None in production) goes there; credentials in the URL, if any, are kept.
    """
    if not endpoint_url:
        return broker_url
    userinfo, _, _ = urlsplit(broker_url).netloc.rpartition("@")
    host = urlsplit(endpoint_url).netloc
    return urlunsplit(("sqs", f"{userinfo}@{host}" if userinfo else host, "", "", ""))


def sqs_queue_url(*, name: str, region: str, account_id: str) -> str:
    """Return the URL AWS gives the standard queue ``name`` in ``account_id``."""
    return f"https://sqs.{region}.amazonaws.com/{account_id}/{name}"


def sqs_transport_options(
    *,
    queues: Iterable[str],
    prefix: str,
    region: str,
    account_id: str,
    urls: Mapping[str, str],
    endpoint_url: str | None,
) -> dict[str, Any]:
    """Return kombu's SQS transport options with every Celery queue predefined.

    Predefined queues mean kombu never calls ListQueues or CreateQueue at run time
    (the Lambda role needs no such rights, and a cold start makes no extra call).
    They are keyed by the Celery queue name, without kombu's ``queue_name_prefix``:
    kombu looks predefined queues up by the prefixed name when a prefix is set, so
    the prefix lives in the URL instead. An explicit URL (``urls``) wins over one
    built from the account and region.
    """
    missing = [name for name in queues if name not in urls and not account_id]
    if missing:
        raise ImproperlyConfigured(
            f"No SQS URL for queue(s) {', '.join(missing)}: set SQS_QUEUE_URLS "
            "or AWS_ACCOUNT_ID."
        )
    options: dict[str, Any] = {
        "region": region,
        "predefined_queues": {
            name: {
                "url": urls.get(name)
                or sqs_queue_url(
                    name=prefix + name, region=region, account_id=account_id
                )
            }
            for name in queues
        },
    }
    if endpoint_url:
        options["is_secure"] = urlsplit(endpoint_url).scheme == "https"
    return options


def sqs_delay_seconds(*, eta: datetime | None, now: datetime) -> int | None:
    """Return the SQS delay that holds a message until ``eta``, at most 15 minutes.

    Rounded up, so a message never arrives before its ETA (which would cost one
    more round trip); None when there is nothing to wait for. A longer wait keeps
    its ETA in the message and the Lambda handler delays it again on receipt.
    """
    if eta is None:
        return None
    remaining = (eta - now).total_seconds()
    if remaining <= 0:
        return None
    return min(math.ceil(remaining), SQS_MAX_DELAY_SECONDS)


def sqs_message_delay_set(
    *, headers: dict[str, Any], properties: dict[str, Any], now: datetime
) -> None:
    """Turn a task message's ETA into kombu's ``delay_seconds`` property.

    Celery writes a countdown or ETA into the ``eta`` header only (a worker holds
    such a message in memory until it is due); kombu's SQS transport sends the
    ``delay_seconds`` property as SendMessage's DelaySeconds. With it, SQS holds
    the message instead of a worker or a Lambda. A delay the caller set is kept.
    """
    if properties.get("delay_seconds") is not None or not headers.get("eta"):
        return
    from celery.utils.time import maybe_iso8601, maybe_make_aware

    delay = sqs_delay_seconds(
        eta=maybe_make_aware(maybe_iso8601(headers["eta"])), now=now
    )
    if delay is not None:
        properties["delay_seconds"] = delay
