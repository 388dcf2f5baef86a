"""./scripts/serve --production: the production server on one machine without Docker, as a
librarian runs it (README, "Production without Docker"), on SQLite: four gunicorn workers
writing at once give no user a "database is locked" error (WAL, a busy timeout, and write
transactions that take the lock when they begin), and a stop ends both the server and the
background worker."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from shelfmark.testing.servers import ProductionServer

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite deployment; runs once, in the SQLite pass"
)

WORKERS = 4
WRITERS = 16
BOOKS_EACH = 5


def test_four_workers_write_on_sqlite_and_no_one_sees_database_is_locked(tmp_path):
    with ProductionServer(tmp_path, {"WEB_CONCURRENCY": str(WORKERS)}) as server:
        for command in (["ensure_admin"], ["create_api_token", "admin", "--name", "test"]):
            done = server.manage(*command)
            assert done.returncode == 0, done.stderr
        key = done.stdout.strip().split()[-1]

        def write(writer: int) -> list[int]:
            with httpx.Client(base_url=server.url, timeout=60) as http:
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
        with httpx.Client(base_url=server.url, timeout=30) as http:
            listed = http.get("/api/v1/books/", params={"page_size": 100}).json()
        assert len(listed["results"]) == WRITERS * BOOKS_EACH
    assert server.process.returncode is not None
    assert "database is locked" not in server.log_path.read_text(errors="replace")
    assert (server.data_dir / "worker.log").exists()  # the background worker ran beside it
    # Both stopped: nothing answers, and no process of this run is left.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/healthz", timeout=2)
    leftover = subprocess.run(  # noqa: S603 - pgrep, our own folder
        ["pgrep", "-f", str(server.data_dir)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert leftover.stdout.strip() == "", leftover.stdout
