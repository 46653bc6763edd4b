"""Headless Debian Chromium for the Playwright tests, launched one way everywhere.

The background-networking flags matter here: this machine's closed network
refuses Chromium's own connections, many at a time, otherwise.
"""

from __future__ import annotations

import shutil

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
