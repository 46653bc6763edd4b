"""Chromium enforces our Content-Security-Policy, and the browser tests would see it.

The browser tests (tests/customers/test_admin_browser.py, ...) assert that
``csp_violations_collect`` caught nothing; this shows it catches a real one.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.http import HttpResponse
from django.urls import include, path

from tests.support.csp_watch import csp_violations_collect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

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
    playwright_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            violations = csp_violations_collect(browser)
            page = browser.new_page()
            page.goto(f"{live_server.url}/inline/")
            page.wait_for_timeout(300)
            assert page.title() == "nonce ran"
            assert page.evaluate("document.body.dataset.bad") is None
        finally:
            browser.close()
    assert any("script-src" in v for v in violations), violations
