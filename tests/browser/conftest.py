"""Fixtures of the daily-task walk: the demo book and Chromium of the screenshots."""

from tests.support.celery_worker import celery_worker  # noqa: F401 - fixture
from tests.test_demo_screenshots import (  # noqa: F401 - fixtures
    book,
    browser,
    shots,
)
