"""The floor: a bare WSGI app (psycopg 3 + orjson, no framework) running Shelfmark's own SQL.

For each scenario URL it runs exactly the SELECT statements Shelfmark ran for that URL (captured
by bench/capture.py, read from the JSON file named by BENCH_FLOOR_SCENARIOS), fetches every row,
builds a dict per row and answers the rows as JSON with orjson. It is what any app serving those
statements must at least do, so Shelfmark's speed is given as a share of it ("x floor").

Its body is the rows, not Shelfmark's layout: rebuilding Shelfmark's representation by hand for
every scenario would be a second implementation to keep in step. What is checked before timing is
that the floor's statements return exactly the rows Shelfmark's returned (the X-Rows-SHA256
header, sent when the request has X-Bench-Check, against capture.py's digest), and that
Shelfmark's HTTP body is the one it gave while its SQL was captured.

Checkout -> check-in cycles (``POST /cycle/<n>/checkout`` and ``/cycle/<n>/checkin``, with the
file named by BENCH_FLOOR_CYCLES): exactly the statements Shelfmark ran for client n's checkout
and check-in (captured by ``capture.py --cycle``), BEGIN and COMMIT included, one request each.
The only change is the loan's id: the captured one becomes the id of the loan this replay's
checkout inserted (RETURNING) or its check-in's lock found (the first column of that SELECT), in
the statements that follow. A replay that fails answers 500, which the suite counts as errors.

Served by gunicorn with the same settings as Shelfmark (docker/gunicorn.conf.py, 2 sync workers):
each worker opens one connection (autocommit) on its first request, as Django's CONN_MAX_AGE
keeps one per worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import psycopg

with open(os.environ["BENCH_FLOOR_SCENARIOS"], encoding="utf-8") as _file:
    SCENARIOS: dict[str, list[str]] = {
        url: entry["reads"] for url, entry in json.load(_file).items()
    }
CYCLES: list[dict[str, Any]] = []
if os.environ.get("BENCH_FLOOR_CYCLES"):
    with open(os.environ["BENCH_FLOOR_CYCLES"], encoding="utf-8") as _file:
        CYCLES = json.load(_file)
_CYCLE_PATH = re.compile(r"^/cycle/(\d+)/(checkout|checkin)$")
_connection: psycopg.Connection[Any] | None = None


def _cursor() -> psycopg.Cursor[Any]:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(
            # UTC, as Django sets it: the same rows, the same datetimes.
            os.environ["BENCH_FLOOR_DSN"],
            autocommit=True,
            options="-c timezone=UTC",
        )
    return _connection.cursor()


def _replay(client: int, step: str) -> list[list[dict[str, Any]]]:
    """Client ``client``'s captured checkout or check-in, on the loan this replay made."""
    captured = CYCLES[client]
    loan = re.compile(rf"\b{int(captured['loan_id'])}\b")
    live: int | None = None
    answers = []
    with _cursor() as cursor:
        for sql in captured[step]:
            if live is not None:
                sql = loan.sub(str(live), sql)
            cursor.execute(sql)
            if cursor.description is None:
                continue
            columns = [column.name for column in cursor.description]
            rows = cursor.fetchall()
            if (
                live is None
                and rows
                and (
                    sql.startswith('INSERT INTO "circulation_loan"')
                    or (step == "checkin" and sql.startswith('SELECT "circulation_loan"."id"'))
                )
            ):
                live = rows[0][0]
            answers.append([dict(zip(columns, row, strict=True)) for row in rows])
    return answers


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    cycle = _CYCLE_PATH.match(environ["PATH_INFO"])
    if cycle and environ["REQUEST_METHOD"] == "POST":
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            body = orjson.dumps(_replay(int(cycle[1]), cycle[2]), default=str)
        except (IndexError, psycopg.Error) as error:
            if _connection is not None and not _connection.closed:
                # An explicit BEGIN in autocommit mode: end the failed transaction the same way.
                _connection.execute("ROLLBACK")
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [str(error).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    query = environ.get("QUERY_STRING", "")
    url = environ["PATH_INFO"] + (f"?{query}" if query else "")
    statements = SCENARIOS.get(url)
    if statements is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not a scenario"]
    answers = []
    digest = hashlib.sha256() if "HTTP_X_BENCH_CHECK" in environ else None
    with _cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)  # captured, bound SQL
            if cursor.description is None:
                continue
            columns = [column.name for column in cursor.description]
            rows = cursor.fetchall()
            if digest is not None:
                for row in rows:
                    digest.update(repr(tuple(row)).encode())
            answers.append([dict(zip(columns, row, strict=True)) for row in rows])
    body = orjson.dumps(answers, default=str)
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if digest is not None:
        headers.append(("X-Rows-SHA256", digest.hexdigest()))
    start_response("200 OK", headers)
    return [body]
