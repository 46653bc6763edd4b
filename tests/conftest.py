"""Shared fixtures: a throwaway PostgreSQL cluster and Redis server, when needed.

pytest-postgresql and pytest-redis start both from the local binaries on free ports
in a temp directory and stop them when the session ends, even on failure. Django's
test database is created inside that cluster; Celery publishes to that Redis, never
in eager mode. Each server starts with the first test that needs it: PostgreSQL
with the first database test (pytest-django asks for it), Redis with the first
test that uses the database (saving a row may publish a task on commit) or asks
for ``celery_broker``. A pure test (numpy, parsing, SVG) starts neither.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from pytest_postgresql import factories as pg_factories
from pytest_redis import factories as redis_factories

from tests.support.browser import browser_page  # noqa: F401 - fixture

postgresql_proc = pg_factories.postgresql_proc(port=None, unixsocketdir="/tmp")  # noqa: S108
redis_proc = redis_factories.redis_proc(port=None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(postgresql_proc) -> None:
    """Point Django's default database at the throwaway cluster."""
    db = settings.DATABASES["default"]
    db.update(
        {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": postgresql_proc.host,
            "PORT": str(postgresql_proc.port),
            "USER": postgresql_proc.user,
            "PASSWORD": postgresql_proc.password or "",
            "NAME": "stitchengage",
        }
    )


# A test whose fixtures include one of these uses the database.
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_setup", "live_server"}
)


@pytest.fixture(scope="session", autouse=True)
def _celery_never_eager() -> None:
    """Never run a task inline, also in a test that started no broker.

    Without a broker URL the settings turn eager mode on (the demo's way); a
    test that publishes without Redis should fail, not run the task in place.
    """
    from stitchengage.celery import app

    app.conf.task_always_eager = False


@pytest.fixture(scope="session")
def celery_broker(redis_proc) -> str:
    """Route Celery to the real Redis server; tasks are never run eagerly in tests."""
    import kombu.pools

    from stitchengage.celery import app

    url = f"redis://{redis_proc.host}:{redis_proc.port}/0"
    settings.CELERY_BROKER_URL = url
    app.conf.update(broker_url=url, task_always_eager=False)
    # A pool built before (by a test that published without a broker) would
    # keep the old URL: Celery builds it once.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    return url


@pytest.fixture(autouse=True)
def _broker_for_database_tests(request) -> None:
    """Start Redis for a test that uses the database: a save may publish a task."""
    if request.node.get_closest_marker("django_db") is not None or (
        _DATABASE_FIXTURES.intersection(request.fixturenames)
    ):
        request.getfixturevalue("celery_broker")


@pytest.fixture(autouse=True)
def _fast_tests(settings, request) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # django-axes needs the request in authenticate(), which the test client's
    # login() does not pass; axes' docs: turn it off where it is not under test
    # (force_login is unaffected anyway). It stays on for the browser tests, which
    # log in through the real form, and tests/stitchengage/test_login_throttling.py
    # turns it on itself.
    if request.node.get_closest_marker("browser") is None:
        settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory) -> None:
    """Keep uploads (import previews, background imports) out of the worktree."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def login_as(client):
    """Return a function that signs the test client in as a new user of a role.

    It logs in with the password, as a person would, and fails the test if the
    login is refused.
    """
    from tests.customers.factories import password_login, user_with_role

    def login(role: str, **fields):
        user = user_with_role(role, **fields)
        password_login(client, user)
        return user

    return login
