"""Fixtures shared by every app's tests."""

from __future__ import annotations

import signal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # The production password hasher costs ~0.5 s per user created; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the cache; a fresh cache per test keeps tests independent.
    from django.core.cache import cache

    cache.clear()


# Signals whose handlers a test may change: django-tasks' db_worker installs its own for these
# and leaves them (a forked import reader inherited one and hung the suite).
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    """Whatever a test installs as a signal handler is undone after it."""
    before = {number: signal.getsignal(number) for number in _SIGNALS}
    yield
    for number, handler in before.items():
        if signal.getsignal(number) is not handler:
            signal.signal(number, handler)


@pytest.fixture(autouse=True)
def _no_network(settings, monkeypatch):
    """No test reaches Open Library: a request that no test's own MockTransport answers fails
    at once (as a network error), and nothing waits for a rate limit or a backoff unless the
    test asks for it."""
    import httpx

    from interchange.openlibrary import client

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Tests never reach the network", request=request)

    monkeypatch.setattr(client, "TRANSPORT", httpx.MockTransport(refuse))
    settings.OPENLIBRARY_MIN_INTERVAL = 0
    settings.OPENLIBRARY_BACKOFF_SECONDS = 0


@pytest.fixture
def browser(live_server, monkeypatch):
    """Debian's chromium under Playwright, for one test (shelfmark/testing/browser.py)."""
    from django.db import connections

    from shelfmark.testing.browser import launched_chromium, require_chromium

    require_chromium()
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    # from a thread with a running loop; the test body's are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with launched_chromium() as launched:
        try:
            yield launched
        finally:
            # The test body's queries ran beside Playwright's event loop, where Django keeps
            # another connection than the test's; close it, or it outlives the test database.
            connections.close_all()


@pytest.fixture
def page(browser, live_server):
    from shelfmark.testing.browser import open_page

    return open_page(browser, live_server)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_user(db):
    """Staff, with every permission on the catalog's, circulation's and stocktakes' models (as
    the admin grants them), but not a superuser: all the API's staff operations are open to it."""
    user = get_user_model().objects.create_user(
        username="librarian", password="correct horse battery", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["catalog", "circulation", "stocktake"]
        )
    )
    return user


@pytest.fixture
def patron_user(db):
    return get_user_model().objects.create_user(username="reader", password="correct horse battery")


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def patron_client(patron_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(patron_user)
    return client


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL; on SQLite they are skipped, visibly."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="PostgreSQL only: run ./scripts/test with DATABASE_URL=postgres://… to include it"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
