"""Outages (shelfmark/outages.py): while the database, Redis or the media volume is away, the site
answers 503 with Retry-After in its own shape (the site's page, the API's error body), never a
500, and normally again as soon as it is back.

The failures are real ones, made at the boundary of what fails: the database driver's connect
(as Django wraps it) or a real PostgreSQL that refuses connections or drops ours, a Redis cache
at a closed port or a real redis-server stopped and started again, a volume whose writes fail
with the kernel's own ENOSPC (/dev/full). Production's behaviour: DEBUG off, and the test client
answers as the server would instead of raising the view's exception in the test.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import psycopg
import psycopg.errors
import pytest
import redis
import redis.exceptions
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    close_old_connections,
    connections,
)
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django_tasks_db.models import DBTaskResult

from catalog.models import Book
from catalog.tests.factories import BookFactory
from interchange.models import ImportRun
from shelfmark import outages
from shelfmark import urls as site_urls
from shelfmark.testing.sentry import sentry_stand_in
from shelfmark.tests.test_csp import SITE_POLICY, assert_no_inline_code, policy

GOODREADS = (
    Path(__file__).resolve().parents[2] / "interchange/tests/data/goodreads_library_export.csv"
)
BOOKS = "/api/v1/books/"


def remember(request: HttpRequest) -> HttpResponse:
    """Needs no database itself: the session middleware saves what it keeps on the way out."""
    request.session["seen"] = True
    return HttpResponse("remembered")


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# The site's URLs and its error handlers, one view whose failure comes from a middleware, and a
# bug.
urlpatterns = [
    *site_urls.urlpatterns,
    path("remember-for-the-test/", remember),
    path("broken-for-the-test/", fail),
]
handler400 = site_urls.handler400
handler500 = site_urls.handler500


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.LIBRARY_NAME = "Riverside Library"
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def browser() -> Client:
    """A visitor's client that gets the answer the server gives, not the view's exception."""
    return Client(raise_request_exception=False)


def closed_port() -> int:
    """A local port nothing listens on (taken from the system, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def database_refusing_connections() -> Iterator[None]:
    """The database server away: every use of the connection fails as the driver's connect
    fails (psycopg's or sqlite3's OperationalError), wrapped by Django as at a real connect.
    The test's own connection and transaction stay as they were."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    driver_error, message = {
        "postgresql": (
            psycopg.OperationalError,
            'connection to server at "db.internal" (10.0.0.5), port 5432 failed: '
            "Connection refused",
        ),
        "sqlite": (sqlite3.OperationalError, "unable to open database file"),
    }[wrapper.vendor]

    def connect() -> None:
        with wrapper.wrap_database_errors:
            raise driver_error(message)

    try:
        with mock.patch.object(wrapper, "ensure_connection", side_effect=connect):
            yield
    finally:
        wrapper.errors_occurred = False


def assert_unavailable_page(response, *, storage_full: bool = False) -> str:
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == ("300" if storage_full else "5")
    assert "no-store" in response["Cache-Control"]
    title = "No room to store this" if storage_full else "Unavailable for a moment"
    assert f"<title>{title} · Riverside Library</title>" in html
    assert "<span>Riverside Library</span>" in html
    # Nothing of what failed, where or how.
    for internal in ("Error", "db.internal", "5432", "refused", "No space", "redis", "/media"):
        assert internal not in html
    return html


def assert_unavailable_json(response, code: str = "unavailable") -> dict:
    body = response.json()
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == ("300" if code == "storage_full" else "5")
    assert body["error"]["status"] == 503
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"status", "code", "message"}
    for internal in ("Error", "db.internal", "5432", "refused", "redis"):
        assert internal not in body["error"]["message"]
    return body


# --- What counts as an outage ---------------------------------------------------------------------


def _raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as raised:
        return raised


def _raised_while_handling(error: BaseException, handled: BaseException) -> BaseException:
    try:
        try:
            raise handled
        except BaseException:
            raise error  # noqa: B904 - the implicit context is the point
    except BaseException as raised:
        return raised


def _sqlite_disk_full() -> BaseException:
    """SQLite's own "database or disk is full", as Django wraps it."""
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (x)")
    database.execute("PRAGMA max_page_count = 2")
    try:
        database.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as error:
        return _raised_from(OperationalError(str(error)), error)
    finally:
        database.close()
    raise AssertionError("SQLite stored more than its pages allow")


def _sqlite_error(statement: str, *, locked: bool = False) -> BaseException:
    """What SQLite itself raises for ``statement`` (with another connection holding the
    database locked, if ``locked``), as Django wraps it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db.sqlite3"
        holder = sqlite3.connect(path, isolation_level=None)
        other = sqlite3.connect(path, timeout=0)
        try:
            holder.execute("CREATE TABLE t (x)")
            if locked:
                holder.execute("BEGIN EXCLUSIVE")
            other.execute(statement)
        except sqlite3.OperationalError as error:
            return _raised_from(OperationalError(str(error)), error)
        finally:
            holder.close()
            other.close()
    raise AssertionError(f"SQLite ran {statement!r}")


@pytest.mark.parametrize(
    ("error", "code", "dependency"),
    [
        (OperationalError("connection refused"), "unavailable", "database"),
        (_sqlite_error("INSERT INTO t VALUES (1)", locked=True), "unavailable", "database"),
        (InterfaceError("connection already closed"), "unavailable", "database"),
        (
            _raised_from(
                OperationalError("terminating connection"), psycopg.errors.AdminShutdown()
            ),
            "unavailable",
            "database",
        ),
        (redis.exceptions.ConnectionError("Error 111"), "unavailable", "cache"),
        (redis.exceptions.TimeoutError("Timeout reading"), "unavailable", "cache"),
        (redis.exceptions.BusyLoadingError("loading the dataset"), "unavailable", "cache"),
        (OSError(errno.ENOSPC, "No space left on device"), "storage_full", "storage"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "storage_full", "storage"),
        (
            _raised_from(OperationalError("could not extend file"), psycopg.errors.DiskFull()),
            "storage_full",
            "database storage",
        ),
        (_sqlite_disk_full(), "storage_full", "database storage"),
        # Raised from an outage: the outage it tells of.
        (
            _raised_from(RuntimeError("could not store"), OSError(errno.ENOSPC, "full")),
            "storage_full",
            "storage",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_what_tells_of_an_outage(error, code, dependency):
    outage = outages.outage_of(error)

    assert outage is not None
    assert (outage.code, outage.dependency) == (code, dependency)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        IntegrityError("duplicate key"),
        ProgrammingError("column does not exist"),
        OSError(errno.EACCES, "Permission denied"),
        FileNotFoundError(errno.ENOENT, "No such file"),
        redis.exceptions.ResponseError("WRONGTYPE"),
        # SQLite's OperationalError for a statement's own mistake: a bug, not the database away.
        _sqlite_error("SELECT missing FROM t"),
        _sqlite_error("SELECT * FROM no_such_table"),
        # Only an explicit cause counts: a bug while handling an outage is still a bug.
        _raised_while_handling(ValueError("a bug"), OperationalError("connection refused")),
        None,
    ],
    ids=repr,
)
def test_everything_else_stays_a_500(error):
    assert outages.outage_of(error) is None


# --- The database away ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_is_the_sites_503_while_the_database_is_away(browser, caplog):
    BookFactory(title="Middlemarch")

    with database_refusing_connections(), caplog.at_level(logging.INFO):
        response = browser.get("/")

    html = assert_unavailable_page(response)
    assert "<h1>Unavailable for a moment</h1>" in html
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)
    # One warning naming what is away, Django's error line with the traceback (which Sentry
    # takes too), and the request's own line with the status it was answered with.
    warnings = [r for r in caplog.records if r.name == "shelfmark.outages"]
    assert [(r.levelname, r.outage, r.error) for r in warnings] == [
        ("WARNING", "database", "OperationalError")
    ]
    assert warnings[0].getMessage().startswith("Database unavailable: answered GET / with 503 (")
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage(), r.exc_info[0]) for r in errors] == [
        ("ERROR", "Service Unavailable: /", OperationalError)
    ]
    [line] = [r for r in caplog.records if r.name == "shelfmark.requests"]
    assert line.status == 503
    # And back as soon as the database is.
    assert browser.get("/").status_code == 200


@pytest.mark.django_db
def test_an_outage_still_reaches_sentry(browser):
    with sentry_stand_in() as envelopes:
        with database_refusing_connections():
            response = browser.get(BOOKS)
        envelope = envelopes()
    assert response.status_code == 503
    assert "OperationalError" in envelope
    assert response["X-Request-ID"] in envelope


@pytest.mark.django_db
def test_the_api_answers_503_in_its_error_shape_while_the_database_is_away(browser):
    BookFactory(title="Middlemarch")

    with database_refusing_connections():
        response = browser.get(BOOKS)

    assert_unavailable_json(response)
    assert browser.get(BOOKS).status_code == 200


@pytest.mark.django_db
def test_a_pages_script_asking_for_json_gets_the_error_shape(browser):
    with database_refusing_connections():
        response = browser.get("/", headers={"Accept": "application/json"})

    assert_unavailable_json(response)


@pytest.mark.django_db
def test_the_503_is_in_the_visitors_language(browser):
    with database_refusing_connections():
        page = browser.get("/", headers={"Accept-Language": "de"})
        api = browser.get(BOOKS, headers={"Accept-Language": "de"})

    assert page.status_code == 503
    assert '<html lang="de">' in page.content.decode()
    assert "<h1>Vorübergehend nicht erreichbar</h1>" in page.content.decode()
    assert api.json()["error"]["code"] == "unavailable"  # codes never change with the language
    assert "Sekunden" in api.json()["error"]["message"]


@pytest.mark.django_db
def test_a_failure_in_a_middleware_is_a_503_too(browser, caplog):
    # The view answers without the database; the session middleware's save on the way out
    # needs it. Django turns that exception into a response at the middleware's own layer.
    with database_refusing_connections(), caplog.at_level(logging.INFO):
        response = browser.get("/remember-for-the-test/")

    assert_unavailable_page(response)
    [line] = [r for r in caplog.records if r.name == "shelfmark.requests"]
    assert (line.status, line.route) == (503, "remember-for-the-test/")
    assert browser.get("/remember-for-the-test/").status_code == 200


@pytest.mark.django_db
def test_an_error_page_that_needs_the_database_is_a_503(browser, staff_user):
    # A signed-in visitor's 404 page shows their menu: the session and the user, from the
    # database. Django answers a failing error page through handler500.
    browser.force_login(staff_user)

    with database_refusing_connections():
        response = browser.get("/no-such-page/")

    assert_unavailable_page(response)


@pytest.mark.django_db
def test_readyz_and_healthz_are_503_while_the_database_is_away(browser):
    with database_refusing_connections():
        ready = browser.get("/readyz")
        healthy = browser.get("/healthz")

    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["database"] == "OperationalError"
    assert healthy.status_code == 503
    assert browser.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_bug_is_still_a_500(browser, caplog):
    with caplog.at_level(logging.INFO):
        response = browser.get("/broken-for-the-test/")

    assert response.status_code == 500
    assert not [r for r in caplog.records if r.name == "shelfmark.outages"]
    assert "Retry-After" not in response
    assert "<h1>Something went wrong</h1>" in response.content.decode()


# --- PostgreSQL itself: refusing connections, restarting under a kept connection ------------------


def as_a_worker(client: Client, path: str):
    """A request as a server runs it: Django's request_started and request_finished close a
    connection that failed or is too old and, with CONN_HEALTH_CHECKS, check a kept one before
    its next use (the test client leaves these out)."""
    close_old_connections()
    try:
        return client.get(path)
    finally:
        close_old_connections()


def terminate_backend(wrapper) -> None:
    """What a PostgreSQL restart does to every open connection: the server ends it."""
    pid = wrapper.connection.info.backend_pid
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone() == (True,)
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_restarting_is_503_until_it_is_back(browser):
    BookFactory(title="Middlemarch")
    wrapper = connections[DEFAULT_DB_ALIAS]
    assert as_a_worker(browser, BOOKS).status_code == 200
    assert wrapper.settings_dict["CONN_HEALTH_CHECKS"]
    port = wrapper.settings_dict["PORT"]

    # The restart: our kept connection is ended, and the server refuses new ones for a while.
    terminate_backend(wrapper)
    wrapper.settings_dict["PORT"] = closed_port()
    try:
        during = [as_a_worker(browser, path) for path in (BOOKS, "/", BOOKS)]
    finally:
        wrapper.settings_dict["PORT"] = port

    assert_unavailable_json(during[0])
    assert_unavailable_page(during[1])
    assert_unavailable_json(during[2])
    # Back: the very next request is answered.
    after = as_a_worker(browser, BOOKS)
    assert after.status_code == 200
    assert [book["title"] for book in after.json()["results"]] == ["Middlemarch"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_postgresql_ended_is_replaced_without_an_error(browser):
    # A restart that is over before the next request: CONN_HEALTH_CHECKS finds the kept
    # connection dead and opens another, so nobody sees the restart.
    wrapper = connections[DEFAULT_DB_ALIAS]
    assert as_a_worker(browser, BOOKS).status_code == 200

    terminate_backend(wrapper)

    assert as_a_worker(browser, BOOKS).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_in_the_middle_of_a_request_is_a_503(browser):
    # The connection dies between the request's start and its first query (no health check
    # catches that): a 503, and the next request gets a new connection.
    wrapper = connections[DEFAULT_DB_ALIAS]
    assert as_a_worker(browser, BOOKS).status_code == 200

    close_old_connections()  # request_started: the check of this request is done now
    assert wrapper.connection is not None
    wrapper.health_check_done = True  # type: ignore[attr-defined]  # not in django-stubs
    terminate_backend(wrapper)
    response = browser.get(BOOKS)
    close_old_connections()  # request_finished: the failed connection is closed

    assert_unavailable_json(response)
    assert as_a_worker(browser, BOOKS).status_code == 200


# --- Redis away: the API's rate limits, the sign-in counts ---------------------------------------


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


@pytest.fixture
def redis_away(settings):
    """REDIS_URL's cache, with nothing listening where it points."""
    settings.CACHES = redis_cache(closed_port())
    # After CACHES: axes' cache handler takes the cache when it is set up.
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"


@pytest.mark.django_db
def test_a_rate_limited_api_request_is_503_while_redis_is_away(browser, redis_away):
    BookFactory(title="Middlemarch")

    response = browser.get(BOOKS)  # the anonymous rate limit counts in the cache

    assert_unavailable_json(response)


@pytest.mark.django_db
def test_signing_in_is_503_while_redis_is_away(browser, redis_away, staff_user, caplog):
    # The sign-in page itself needs no count; the sign-in does (django-axes, in the cache).
    assert browser.get("/account/sign-in/").status_code == 200

    with caplog.at_level(logging.INFO):
        response = browser.post(
            "/account/sign-in/", {"username": "librarian", "password": "correct horse battery"}
        )

    assert_unavailable_page(response)
    assert "_auth_user_id" not in browser.session
    [warning] = [r for r in caplog.records if r.name == "shelfmark.outages"]
    assert (warning.outage, warning.error) == ("cache", "ConnectionError")


@pytest.mark.django_db
def test_readyz_is_503_while_redis_is_away(browser, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = browser.get("/readyz")

    assert response.status_code == 503
    assert response.json()["redis"] == "ConnectionError"
    assert response.json()["database"] == "ok"


class RedisServer:
    """A redis-server of the test's own, stopped and started again on the same port."""

    def __init__(self, program: str, folder: Path) -> None:
        self.program = program
        self.port = closed_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command
            [
                self.program,
                *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path, settings) -> Iterator[RedisServer]:
    program = shutil.which("redis-server")
    if program is None:
        pytest.skip("needs redis-server (Debian: apt install redis-server)")
    server = RedisServer(program, tmp_path)
    server.start()
    settings.CACHES = redis_cache(server.port)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db
def test_redis_restarting_is_503_until_it_is_back(browser, redis_server):
    BookFactory(title="Middlemarch")
    assert browser.get(BOOKS).status_code == 200  # the pool now holds a connection

    redis_server.stop()
    started = time.monotonic()
    during = browser.get(BOOKS)
    waited = time.monotonic() - started
    redis_server.start()
    after = browser.get(BOOKS)

    assert_unavailable_json(during)
    assert waited < 3  # refused at once: no retries, no backoff held the worker
    assert after.status_code == 200


# --- The media volume full ------------------------------------------------------------------------


@contextlib.contextmanager
def full_volume(root: Path) -> Iterator[None]:
    """The volume at ``root`` full: a new file can still be made there (a disk with inodes
    left), but every write into it fails with the kernel's ENOSPC, as /dev/full gives it."""
    real_open = os.open
    inside = root.resolve()

    def open_(file, flags, mode=0o777, *, dir_fd=None):
        if (
            dir_fd is None
            and flags & os.O_CREAT
            and Path(os.fsdecode(file)).resolve().is_relative_to(inside)
        ):
            os.close(real_open(file, flags, mode))  # the file appears, and stays empty
            return real_open("/dev/full", os.O_WRONLY)
        return real_open(file, flags, mode, dir_fd=dir_fd)

    with mock.patch("os.open", open_):
        yield


@pytest.fixture
def librarian_client(db) -> Client:
    user = get_user_model().objects.create_user(username="desk", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def post_import(client: Client):
    upload = SimpleUploadedFile(GOODREADS.name, GOODREADS.read_bytes(), content_type="text/csv")
    data = {"kind": "catalog", "format": "auto", "encoding": "", "on_duplicate": "skip"}
    return client.post("/staff/imports/new/", {**data, "file": upload})


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["media", "temporary files"])
def test_an_upload_onto_a_full_volume_is_503_and_leaves_no_record(
    librarian_client, settings, tmp_path, caplog, where
):
    full = tmp_path / "full"
    full.mkdir()
    if where == "media":
        settings.MEDIA_ROOT = full
    else:  # the upload itself, spooled to disk before the view sees it
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.FILE_UPLOAD_TEMP_DIR = full
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0

    with full_volume(full), caplog.at_level(logging.INFO):
        response = post_import(librarian_client)

    html = assert_unavailable_page(response, storage_full=True)
    assert "<h1>No room to store this</h1>" in html
    assert (ImportRun.objects.count(), Book.objects.count(), DBTaskResult.objects.count()) == (
        0,
        0,
        0,
    )
    [warning] = [r for r in caplog.records if r.name == "shelfmark.outages"]
    assert (warning.outage, warning.error) == ("storage", "OSError")
    [line] = [r for r in caplog.records if r.name == "shelfmark.requests"]
    assert line.status == 503

    # Room again: the same upload is taken.
    settings.MEDIA_ROOT = tmp_path / "media"
    response = post_import(librarian_client)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/imports/{run.pk}/"
    assert re.fullmatch(r"imports/.*\.csv", run.file.name or "")
