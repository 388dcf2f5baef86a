"""./scripts/serve --production: the production server on one machine without Docker, as a
librarian runs it (README, "Production without Docker"), on SQLite: four gunicorn workers
writing at once give no user a "database is locked" error (WAL, a busy timeout, and write
transactions that take the lock when they begin), and a stop ends both the server and the
background worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite deployment; runs once, in the SQLite pass"
)

# The environment's settings the script must not inherit from the test run.
OWN_SETTINGS = ("DJANGO_", "DATABASE_", "DEBUG", "SECRET_KEY", "SECURE_", "ALLOWED_HOSTS", "PROM")
WORKERS = 4
WRITERS = 16
BOOKS_EACH = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_four_workers_write_on_sqlite_and_no_one_sees_database_is_locked(tmp_path):
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "DJANGO_",
                "DATABASE_",
                "DEBUG",
                "SECRET_KEY",
                "SECURE_",
                "ALLOWED_HOSTS",
                "PROMETHEUS",
            )
        )
    }
    environment |= {
        "PORT": str(port),
        "DATABASE_URL": "",
        "SHELFMARK_DATA_DIR": str(tmp_path / "data"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "WEB_CONCURRENCY": str(WORKERS),
    }
    root = Path(settings.BASE_DIR)
    output = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        ["bash", "scripts/serve", "--production"],  # noqa: S607
        cwd=root,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        manage = {
            **environment,
            "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
            "DEBUG": "false",
            "SECRET_KEY_FILE": str(tmp_path / "data" / "secret-key"),
            "ALLOWED_HOSTS": "localhost",
        }
        for command in (["ensure_admin"], ["create_api_token", "admin", "--name", "test"]):
            done = subprocess.run(  # noqa: S603 - our own interpreter and command
                [str(root / ".venv/bin/python"), "manage.py", *command],
                cwd=root,
                env=manage,
                capture_output=True,
                text=True,
                check=True,
            )
        key = done.stdout.strip().split()[-1]

        def write(writer: int) -> list[int]:
            with httpx.Client(base_url=base, timeout=60) as http:
                return [
                    http.post(
                        "/api/v1/books/",
                        json={"title": f"Book {writer}-{n}", "authors": [f"Author {writer}"]},
                        headers={"Authorization": f"Token {key}"},
                    ).status_code
                    for n in range(BOOKS_EACH)
                ]

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = [status for answers in pool.map(write, range(WRITERS)) for status in answers]
        assert statuses == [201] * (WRITERS * BOOKS_EACH)
        with httpx.Client(base_url=base, timeout=30) as http:
            listed = http.get("/api/v1/books/", params={"page_size": 100}).json()
        assert len(listed["results"]) == WRITERS * BOOKS_EACH
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
            output.close()
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "database is locked" not in log
    assert (tmp_path / "data" / "worker.log").exists()  # the background worker ran beside it
    # Both stopped: nothing answers, and no process of this run is left.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/healthz", timeout=2)
    leftover = subprocess.run(  # noqa: S603
        ["pgrep", "-f", str(tmp_path / "data")],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert leftover.stdout.strip() == "", leftover.stdout


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180  # a fresh database: every migration, then static files
    while time.monotonic() < deadline:
        assert server.poll() is None, "./scripts/serve --production stopped"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail("./scripts/serve --production did not answer in time")
