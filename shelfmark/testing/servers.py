"""The production web server for tests: gunicorn with several worker processes on the test
database, as users run Shelfmark (`docker compose up`), for tests that must hold there too and
not only on the test runner's threaded live server.

The tests that use it commit their rows (``django_db(transaction=True)``) so the workers, with
connections of their own, see them; the server is stopped before the test's database is
flushed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

STARTUP_SECONDS = 60  # importing Django in each worker on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    """The URL of the database the tests use now (the test database, not the configured one)."""
    db = connection.settings_dict
    credentials = urllib.parse.quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(db["PASSWORD"])
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@contextmanager
def gunicorn(*, workers: int = 2) -> Iterator[str]:
    """A gunicorn serving the site on the tests' PostgreSQL database; its base URL. Local mode
    (DEBUG: the static files come from the apps, as with ./scripts/serve)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("gunicorn() serves the PostgreSQL test database only")
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "shelfmark.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(server, url)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_healthy(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start (code {server.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url}/healthz within {STARTUP_SECONDS} s")
