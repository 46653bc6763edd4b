"""The columns of a client and of a Fix, written once for every place that lists them.

The CSV import and export, the admin's new-Fix form, the order-event API, the demo
seed and the benchmark data all name the same fields; a field added to the book is
added here, and each of them follows.
"""

from __future__ import annotations

from .models import Client

#: A client as the book holds it, in the model's order (field names).
CLIENT_PROFILE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "city",
    "time_zone",
    "signup_date",
    "external_id",
    "stylist",
    "preferred_styles",
    "size_top",
    "size_bottom",
    "size_shoe",
    "budget_band",
    "marketing_consent",
    "unsubscribed_at",
    "stylist_notes",
)
#: The same as database columns (``stylist_id``), for raw inserts and COPY.
CLIENT_PROFILE_COLUMNS = tuple(
    Client._meta.get_field(name).attname for name in CLIENT_PROFILE
)
#: A client file's columns: email, the key, first; then the profile but for
#: ``unsubscribed_at``, which only the client sets (the link in an email).
CLIENT_CSV_COLUMNS = (
    "email",
    *(name for name in CLIENT_PROFILE if name not in ("email", "unsubscribed_at")),
)
#: Kept from the client's orders (``services.order_facts``), never entered.
CLIENT_ORDER_FACTS = ("order_count", "last_order_at")

#: What a Fix holds beyond its client, in the model's order: what the order
#: file, the API's order events and the admin's new-Fix form carry.
ORDER_FACTS = (
    "ordered_at",
    "shipped_at",
    "status",
    "items_sent",
    "items_kept",
    "kept_items",
    "amount",
    "rating",
    "feedback_comment",
)
