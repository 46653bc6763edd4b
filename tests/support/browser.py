"""Headless Debian Chromium for the Playwright tests, launched one way everywhere.

The background-networking flags matter here: this machine's closed network
refuses Chromium's own connections, many at a time, otherwise.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.csp_watch import csp_violations_collect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_launch(playwright, *extra_args: str):
    """Return a headless Chromium browser from a ``sync_playwright()`` handle."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )


@contextmanager
def chromium_session() -> Iterator[tuple[object, list[str]]]:
    """Run a headless Chromium that records CSP violations; close it after.

    Yield the browser and the list its pages' violations are added to.
    """
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop; the live server's ORM is sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        browser = chromium_launch(p)
        violations = csp_violations_collect(browser)
        try:
            yield browser, violations
        finally:
            browser.close()


@pytest.fixture
def browser_page() -> Iterator[object]:
    """Yield a new Chromium page; fail the test if any page broke the CSP."""
    with chromium_session() as (browser, violations):
        yield browser.new_page()
    assert violations == [], "Content-Security-Policy violations"
