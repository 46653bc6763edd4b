"""Chromium enforces our Content-Security-Policy, and the browser tests would see it.

The browser tests (tests/customers/test_admin_browser.py, ...) assert that
``csp_violations_collect`` caught nothing; this shows it catches a real one.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.urls import include, path

from tests.support.browser import chromium_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def inline(request):
    nonce = request.csp_nonce
    return HttpResponse(
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        f'<script nonce="{nonce}">document.title = "nonce ran";</script>'
        '<script>document.body.dataset.bad = "ran";</script>'
        "</body></html>"
    )


urlpatterns = [path("inline/", inline), path("", include("stitchengage.urls"))]


def test_an_inline_script_without_the_nonce_is_blocked_and_reported(
    live_server, settings
):
    """The nonce'd script runs; the other is refused and reported."""
    settings.ROOT_URLCONF = __name__
    with chromium_session() as (browser, violations):
        page = browser.new_page()
        page.goto(f"{live_server.url}/inline/")
        page.wait_for_timeout(300)
        assert page.title() == "nonce ran"
        assert page.evaluate("document.body.dataset.bad") is None
    assert any("script-src" in v for v in violations), violations
