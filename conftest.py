"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import signal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

# A failed browser test leaves screenshots of its pages in test-artifacts/.
pytest_plugins = ["shelfmark.testing.artifacts"]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # The production password hasher costs ~0.5 s per user created; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the cache; a fresh cache per test keeps tests independent.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _quick_flush_on_postgresql():
    """After a transactional test (``transaction=True``, ``live_server``), Django empties every
    table with one TRUNCATE of them all. On PostgreSQL that took 0.3 s a test on a quiet
    machine and 1 s on a busy one (it replaces each table's and index's files), against 10 to
    20 ms for a DELETE of their few rows. So here the tables are emptied by DELETE with the
    triggers off (session_replication_role = replica): TRUNCATE fires none either, and the
    foreign keys' checks are triggers too, so the order does not matter. The same tables end
    empty, sequences untouched, as before; post_migrate then puts back the content types and
    permissions, as after any flush. It needs a superuser (the suite's usual user, postgres);
    under another role, and for a flush that resets sequences or cascades, Django's own
    TRUNCATE runs."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    superuser: dict[str, bool] = {}

    def may_disable_triggers(connection) -> bool:
        if connection.alias not in superuser:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                superuser[connection.alias] = bool(cursor.fetchone()[0])
        return superuser[connection.alias]

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        plain = tables and not reset_sequences and not allow_cascade
        if not plain or not may_disable_triggers(self.connection):
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # execute_sql_flush runs these in one transaction; SET LOCAL ends with it.
        return [
            "SET LOCAL session_replication_role = replica",
            *(
                f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
                for table in tables
            ),
            "SET LOCAL session_replication_role = DEFAULT",
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and the groups its migrations made (Librarians,
    Administrators, with their permissions) put back after every flush.

    A transactional test (``transaction=True``, ``live_server``) ends with a flush: every table
    emptied, then post_migrate makes the content types and permissions again, but not the groups
    the data migrations made. A test after it on the same worker that asks for the Librarians
    group failed, as happened once test workers began taking each other's tests (--dist
    worksteal): so the groups are read once, as migrated, and made again after each flush."""
    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.db.models import Q
    from django.db.models.signals import post_migrate

    with django_db_blocker.unblock():
        migrated = {
            group.name: [(p.content_type.app_label, p.codename) for p in group.permissions.all()]
            for group in Group.objects.prefetch_related("permissions__content_type")
        }
    # post_migrate comes once per app with models; after the last one every permission exists.
    last_app = [config for config in apps.get_app_configs() if config.models_module][-1]

    def groups_again(sender, using, **kwargs) -> None:
        if sender is not last_app or Group.objects.using(using).exists():
            return
        for name, grants in migrated.items():
            group = Group.objects.using(using).create(name=name)
            wanted = Q(pk__in=[])
            for app_label, codename in grants:
                wanted |= Q(content_type__app_label=app_label, codename=codename)
            group.permissions.set(Permission.objects.using(using).filter(wanted))

    post_migrate.connect(groups_again, dispatch_uid="shelfmark-test-groups-again")
    yield
    post_migrate.disconnect(dispatch_uid="shelfmark-test-groups-again")


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


@pytest.fixture(scope="session")
def _shared_chromium():
    """The process's chromium, started by its first browser test (SharedChromium)."""
    from shelfmark.testing.browser import SharedChromium

    shared = SharedChromium()
    yield shared
    shared.stop()


@pytest.fixture
def browser(live_server, monkeypatch, _shared_chromium):
    """Debian's chromium under Playwright, lent to one test (shelfmark/testing/browser.py)."""
    from django.db import connections

    from shelfmark.testing.browser import require_chromium

    require_chromium()
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    # from a thread with a running loop; the test body's are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with _shared_chromium.lent() as lent:
        try:
            yield lent
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


# What gives a test the database: pytest-django's marker, or one of its fixtures (``live_server``
# includes ``transactional_db``), or a Django TestCase (SimpleTestCase has none).
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)


def uses_the_database(item: pytest.Item) -> bool:
    from django.test import TransactionTestCase

    if item.get_closest_marker("django_db") is not None:
        return True
    if _DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    cls = getattr(item, "cls", None)
    return cls is not None and issubclass(cls, TransactionTestCase)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL; on SQLite they are skipped, visibly.

    With SHELFMARK_DATABASE_TESTS_ONLY=1 (./scripts/test's PostgreSQL pass, after its SQLite
    pass), the tests that have no database (no ``db``-like fixture, no ``django_db`` marker: the
    test database is shut to them, so they cannot depend on which one it is) are deselected:
    they ran in the SQLite pass. Kept all the same: those marked ``postgres``, and those with a
    skip or skipif marker (which may be about the database). A test that depends on the
    configured database without querying it (compiling SQL, say) asks for ``db`` to run in both.
    So are the tests marked ``any_database``: about the app above the database (who may reach
    what), or run on PostgreSQL by another CI stage (the demo's commands, by docker-smoke), they
    ran in the SQLite pass, where they cost half.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        if os.environ.get("SHELFMARK_DATABASE_TESTS_ONLY") == "1":
            kept, ran_on_sqlite = [], []
            for item in items:
                once = item.get_closest_marker("any_database") is not None or (
                    not uses_the_database(item)
                    and not any(
                        item.get_closest_marker(name) for name in ("postgres", "skip", "skipif")
                    )
                )
                (ran_on_sqlite if once else kept).append(item)
            if ran_on_sqlite:
                config.hook.pytest_deselected(items=ran_on_sqlite)
                items[:] = kept
        return
    skip = pytest.mark.skip(
        reason="PostgreSQL only: run ./scripts/test with DATABASE_URL=postgres://… to include it"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
