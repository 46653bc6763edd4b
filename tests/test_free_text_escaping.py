"""Free text anyone types is shown as text, never run as HTML, on every page.

Client names, city and stylist notes, Fix comments, review comments, a draft's
subject and body, a rejection reason and a stylist's own name all hold the
payloads below; every admin page the role walk knows (``EXPECT`` in
``tests/test_admin_role_walk.py``: client list and change page, the review queue
and panel, the dashboard, ...) is rendered as the superuser, who sees them all,
and so is the HTML email a client would receive. No payload may appear as it was
typed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from customers.models import Client, Order
from emails.models import EmailComment, ReengagementEmail
from emails.services.rendering import email_html_render
from tests.test_admin_role_walk import (
    EXPECT,
    ROLES,
    _world_build,
    admin_routes,
    route_path,
)

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
)
SCRIPT, IMG, SVG = PAYLOADS


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The role walk's world, with stylist B's records full of payloads."""
    with django_db_blocker.unblock(), transaction.atomic():
        w = _world_build()
        _poison(w)
        yield w
        transaction.set_rollback(True)


def _poison(w: dict[str, Any]) -> None:
    # update() bypasses form validation, as an import or the API could.
    Client.objects.filter(pk=w["client_b"].pk).update(
        first_name=SCRIPT, last_name=IMG, city=SVG, stylist_notes="".join(PAYLOADS)
    )
    Order.objects.filter(client=w["client_b"]).update(
        feedback_comment=SCRIPT + IMG, kept_items=SVG
    )
    ReengagementEmail.objects.filter(pk=w["draft_b"].pk).update(
        subject=IMG, preheader=SVG, body=f"Hi,\n\n{SCRIPT}\n\n{IMG}"
    )
    EmailComment.objects.filter(email=w["draft_b"]).update(body=SCRIPT + SVG)
    type(w["stylist_b"]).objects.filter(pk=w["stylist_b"].pk).update(
        first_name=SCRIPT, last_name=IMG
    )


def _superuser_pages():
    routes = {r.key: r for r in admin_routes()}
    superuser = ROLES.index("superuser")
    for key in sorted(EXPECT.keys() & routes.keys()):
        if EXPECT[key].get[superuser] == "ok":
            yield pytest.param(routes[key], id=key)


def _unescaped(text: str) -> list[str]:
    return [payload for payload in PAYLOADS if payload in text]


@pytest.mark.parametrize("r", list(_superuser_pages()))
def test_no_admin_page_shows_a_payload_unescaped(client, world, r):
    """Every admin page that answers the superuser shows payloads escaped."""
    url = EXPECT[r.key]
    client.force_login(world["superuser"])
    response = client.get(
        route_path(r, url, world), url.query(world) if url.query else {}
    )
    assert response.status_code in (200, 302)
    # JSON (the autocomplete) carries text that select2 shows as text.
    if response.status_code != 200 or "html" not in response["Content-Type"]:
        return
    content = b"".join(response) if response.streaming else response.content
    assert _unescaped(content.decode(errors="replace")) == []


def test_the_pages_that_show_free_text_do_show_it_escaped(client, world):
    """The check above would see a payload: these pages show it, escaped."""
    client.force_login(world["superuser"])
    pages = {
        "client list": "/admin/customers/client/",
        "client page": f"/admin/customers/client/{world['client_b'].pk}/change/",
        "review queue": "/admin/emails/reengagementemail/",
        "review panel": (
            f"/admin/emails/reengagementemail/{world['draft_b'].pk}/change/"
        ),
    }
    for name, path in pages.items():
        text = client.get(path).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, name
        assert _unescaped(text) == [], name


def test_the_email_a_client_receives_shows_payloads_as_text(world):
    """The rendered HTML email escapes the draft's subject, preheader and body."""
    email = ReengagementEmail.objects.get(pk=world["draft_b"].pk)
    html = email_html_render(email=email, unsubscribe_url="https://x.test/u/t/")
    assert _unescaped(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
