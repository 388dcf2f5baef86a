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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

STARTUP_SECONDS = 60  # importing Django in each worker on a loaded 2-core machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """The URL of the database the tests use now (the test database, not the configured one)."""
    db = connection.settings_dict
    credentials = urllib.parse.quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(db["PASSWORD"])
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@contextmanager
def gunicorn(
    *,
    workers: int = 2,
    environment: Mapping[str, str] | None = None,
    access_log: Path | None = None,
    output: Path | None = None,
) -> Iterator[str]:
    """A gunicorn serving the site on the tests' PostgreSQL database; its base URL. Local mode
    (DEBUG: the static files come from the apps, as with ./scripts/serve). ``environment`` adds
    to (or overrides) the settings' variables; with ``access_log``, gunicorn writes a line per
    request there, the answering worker's pid first (``worker_pids``); with ``output``, the
    workers' standard output goes to that file (the console email backend's emails)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("gunicorn() serves the PostgreSQL test database only")
    port = _free_port()
    variables = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "PYTHONPATH": str(settings.BASE_DIR),
        **(environment or {}),
    }
    logging = (
        ["--access-logfile", str(access_log), "--access-logformat", ACCESS_LOG_FORMAT]
        if access_log is not None
        else []
    )
    stdout = output.open("ab") if output is not None else None
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
            *logging,
        ],
        cwd=settings.BASE_DIR,
        env=variables,
        stdout=stdout,
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
        if stdout is not None:
            stdout.close()


# The worker's pid, the status and the request line.
ACCESS_LOG_FORMAT = "%(p)s %(s)s %(r)s"


def worker_pids(access_log: Path, method: str, path: str) -> list[str]:
    """The pid of the worker that answered each ``method`` request for ``path``, in order."""
    pids = []
    for line in access_log.read_text(encoding="utf-8").splitlines():
        pid, _status, requested_method, requested, *_ = line.split()
        if requested_method == method and urllib.parse.urlsplit(requested).path == path:
            pids.append(pid)
    return pids


HOLD_SETTLE_SECONDS = 0.5


class HeldWorker:
    """Keeps one idle worker busy, so that the requests sent meanwhile go to the others.

    gunicorn's sync workers serve one connection at a time: a connection whose request never
    ends (its headers are not finished) holds the worker that took it, the one that was idle,
    until it is released. With two workers, holding the second before releasing the first
    moves requests from one worker to the other at will (accounts/tests/
    test_throttles_gunicorn.py); ``worker_pids`` shows who answered."""

    def __init__(self, url: str) -> None:
        address = urllib.parse.urlsplit(url)
        self.connection = socket.create_connection(
            (address.hostname, address.port or 80), timeout=5
        )
        self.connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # unfinished
        time.sleep(HOLD_SETTLE_SECONDS)  # for an idle worker to take it

    def release(self) -> None:
        self.connection.close()
        time.sleep(HOLD_SETTLE_SECONDS)  # for the worker to see the end and wait for the next


def _wait_until_healthy(
    server: subprocess.Popen[bytes], url: str, seconds: float = STARTUP_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
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
    raise RuntimeError(f"gunicorn did not answer {url}/healthz within {seconds} s")


# The settings of the environment that a production server of its own must not inherit from
# the test run or the shell (the local mode, the suite's database, its key and hosts).
NOT_INHERITED = (
    "DJANGO_",
    "DATABASE_",
    "DEBUG",
    "SECRET_KEY",
    "SECURE_",
    "ALLOWED_HOSTS",
    "PROMETHEUS",
    "SHELFMARK_DATA_DIR",
    "STATIC_ROOT",
)
# A fresh database: every migration, then the static files, before the first answer.
PRODUCTION_STARTUP_SECONDS = 300
# The checkout: no settings needed (bench/soak.py uses this class outside Django).
ROOT = Path(__file__).resolve().parents[2]


class ProductionServer:
    """``./scripts/serve --production`` as a librarian runs it, in a folder of its own (its
    data, static files and log) on a free loopback port: production mode, gunicorn and the
    background worker. SQLite unless ``environment`` names a DATABASE_URL. Stopped with SIGTERM,
    as systemd stops it. ``manage`` runs a management command against the same data."""

    def __init__(self, work: Path, environment: Mapping[str, str] | None = None) -> None:
        self.work = work
        self.data_dir = work / "data"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {
            key: value for key, value in os.environ.items() if not key.startswith(NOT_INHERITED)
        }
        self.environment |= {
            "PORT": str(self.port),
            "DATABASE_URL": "",
            "SHELFMARK_DATA_DIR": str(self.data_dir),
            "STATIC_ROOT": str(work / "static"),
            **(environment or {}),
        }
        self.log_path = work / "serve.log"

    def __enter__(self) -> ProductionServer:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            ["bash", "scripts/serve", "--production"],  # noqa: S607
            cwd=ROOT,
            env=self.environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(self.process, self.url, PRODUCTION_STARTUP_SECONDS)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()  # SIGTERM: the script stops gunicorn and the worker
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def manage(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """A management command in production mode on this server's data and key."""
        environment = {
            **self.environment,
            "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
            "DEBUG": "false",
            "SECRET_KEY_FILE": str(self.data_dir / "secret-key"),
            "ALLOWED_HOSTS": "localhost",
        }
        return subprocess.run(  # noqa: S603 - this interpreter, our own commands
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
