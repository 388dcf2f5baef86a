"""Runs each scenario's request once through Django and prints what it did, as JSON on stdout.

    DJANGO_SETTINGS_MODULE=shelfmark.settings python bench/capture.py [--no-rows] HOST URL ...

For each URL: the status, the body's SHA-256, the number of statements, the statements themselves
(as PostgreSQL ran them: psycopg binds the parameters on the client, so each is runnable as is),
and the rows each SELECT returns when run again right away (the floor app must get the same rows
from the same statements); for an answer with an ETag, the status and statements of asking
again with If-None-Match (the 304 path). ``--cycle HOST TOKEN CARD BARCODE`` captures a
checkout and a check-in through the API instead. Used by bench/suite.py for Shelfmark and for
the stock DRF project. Requests are anonymous GETs with ``Host: HOST``, so the links in the
bodies are the ones the benchmark's HTTP clients get.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

sys.path.insert(0, os.getcwd())

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def rows_digest(statements: list[str]) -> str:
    """SHA-256 over every row every statement returns, in order (repr of the values)."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                for row in cursor.fetchall():
                    digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def cycle(host: str, token: str, card: str, barcode: str) -> dict[str, object]:
    """A checkout and a check-in of ``barcode`` for ``card`` through the API, twice (the first
    warms caches): the statements of the second."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST=host)
    out: dict[str, object] = {}
    for _ in range(2):
        with CaptureQueriesContext(connection) as checkout:
            lent = client.post(
                "/api/v1/circulation/checkout/",
                {"patron": card, "copy": barcode},
                "application/json",
            )
        with CaptureQueriesContext(connection) as checkin:
            back = client.post(
                "/api/v1/circulation/checkin/", {"copy": barcode}, "application/json"
            )
        out = {
            "checkout_status": lent.status_code,
            "checkin_status": back.status_code,
            # The loan the checkout made: its id is in the statements after the INSERT and in
            # the check-in's, which a replay must point at the loan it makes (bench/floor_app.py).
            "loan_id": lent.json().get("id") if lent.status_code == 201 else None,
            "checkout": [query["sql"] for query in checkout.captured_queries],
            "checkin": [query["sql"] for query in checkin.captured_queries],
        }
    return out


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == ["--cycle"]:
        json.dump(cycle(*arguments[1:5]), sys.stdout)
        return
    # Stock DRF's statements are counted, never replayed: re-running its slow searches on a big
    # catalog would only add minutes.
    with_rows = arguments[:1] != ["--no-rows"]
    host, *urls = arguments if with_rows else arguments[1:]
    client = Client()
    out = {}
    for url in urls:
        accept = "text/html" if not url.startswith("/api/") else "application/json"
        client.get(url, HTTP_HOST=host, HTTP_ACCEPT=accept)  # warm: first-use queries aside
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_HOST=host, HTTP_ACCEPT=accept)
        statements = [query["sql"] for query in captured.captured_queries]
        reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
        etag = response.headers.get("ETag")
        revalidation = None
        if etag:  # the 304 path: a client that has the page already
            with CaptureQueriesContext(connection) as again:
                answer = client.get(
                    url, HTTP_HOST=host, HTTP_ACCEPT=accept, HTTP_IF_NONE_MATCH=etag
                )
            revalidation = {
                "status": answer.status_code,
                "statements": [query["sql"] for query in again.captured_queries],
            }
        out[url] = {
            "status": response.status_code,
            "etag": etag,
            "revalidation": revalidation,
            "body_sha256": hashlib.sha256(response.content).hexdigest(),
            "statements": statements,
            "reads": reads,
            "rows_sha256": rows_digest(reads) if with_rows else None,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
