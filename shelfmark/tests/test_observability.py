"""Operations' view of the service: request ids, one structured log line per request, the
Prometheus metrics (by route, every gunicorn worker's summed), /readyz, and errors reported to
a Sentry server (a local stand-in speaking its protocol)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import httpx
import pytest
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils.module_loading import import_string

from catalog.tests.factories import BookFactory
from shelfmark import health
from shelfmark.logs import RequestIdFilter, logging_config
from shelfmark.testing.sentry import sentry_stand_in
from shelfmark.testing.servers import gunicorn

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests"


def test_every_answer_carries_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]
    # A proxy's id is kept, so its log and ours tell of one request; a strange one is not.
    assert client.get("/", headers={"X-Request-ID": "edge-1234abcd"})["X-Request-ID"] == (
        "edge-1234abcd"
    )
    forged = client.get("/", headers={"X-Request-ID": "x\ninjected line"})["X-Request-ID"]
    assert forged != "x\ninjected line"
    assert len(forged) == 32


def test_one_line_per_request_with_what_operations_needs(client, caplog, django_user_model):
    book = BookFactory(title="Middlemarch")
    staff = django_user_model.objects.create_user("desk", password="x", is_staff=True)
    client.force_login(staff)
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO):
        response = client.get(f"/books/{book.pk}/", {"from": "search"})
    lines = [r for r in caplog.records if r.name == "shelfmark.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert line.method == "GET"
    assert line.path == f"/books/{book.pk}/"
    assert line.route == "books/<id:pk>/"
    assert line.status == 200
    assert line.user_id == staff.pk
    assert line.queries > 0
    assert line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert line.getMessage().startswith(f"GET /books/{book.pk}/?from=search 200 ")


def test_every_line_of_a_request_carries_its_id(client, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO):
        response = client.post("/account/sign-in/", {"username": "nobody", "password": "wrong"})
    during = [r for r in caplog.records if r.name != "shelfmark.requests"]
    assert during, "a failed sign-in logs a warning"
    assert {r.request_id for r in caplog.records} == {response["X-Request-ID"]}
    logging.getLogger("shelfmark.test").warning("outside any request")
    assert caplog.records[-1].request_id == "-"


def test_production_logs_are_one_json_object_a_line():
    stream = StringIO()
    spec = dict(logging_config(log_format="json", level="INFO")["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)  # as dictConfig makes it
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("shelfmark.requests.json-test")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("GET / 200 3ms", extra={"method": "GET", "status": 200, "user_id": None})
    finally:
        logger.removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert record["level"] == "WARNING"
    assert record["logger"] == "shelfmark.requests.json-test"
    assert record["message"] == "GET / 200 3ms"
    assert record["request_id"] == "-"
    assert (record["method"], record["status"], record["user_id"]) == ("GET", 200, None)
    assert "time" in record


def test_metrics_need_their_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_metrics_count_requests_by_route_and_the_task_queue(client, settings):
    settings.METRICS_TOKEN = TOKEN
    book = BookFactory(title="Emma")
    for _ in range(3):
        client.get(f"/books/{book.pk}/")
    client.get("/no/such/page/")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'shelfmark_http_requests_total{method="GET",route="books/<id:pk>/",status="200"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert 'shelfmark_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text
    assert 'shelfmark_db_queries_total{route="books/<id:pk>/"}' in text
    assert "# TYPE shelfmark_tasks gauge" in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """Two worker processes: whichever answers the scrape, it counts both workers' requests."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    environment = {"METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with (
        gunicorn(workers=2, environment=environment) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        # Eight at a time: both workers answer some.
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: http.get("/readyz").status_code, range(40)))
        assert statuses == [200] * 40
        scraped = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    line = next(
        row
        for row in scraped.splitlines()
        if row.startswith("shelfmark_http_requests_total{") and 'route="readyz"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) == 40
    assert len(list(folder.glob("counter_*.db"))) == 2  # one file per worker process


def test_readyz_checks_the_database_migrations_and_redis(client, settings, monkeypatch):
    settings.REDIS_URL = ""
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "redis": "not configured",
    }
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["redis"] == "ConnectionError"
    settings.REDIS_URL = ""
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json()["migrations"]) == (503, "pending")


def test_an_unhandled_error_is_reported_to_sentry(client):
    with sentry_stand_in() as envelopes:
        with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False):
            client.raise_request_exception = False
            response = _request_that_fails(client)
        assert response.status_code == 500
        envelope = envelopes()
    assert "ZeroDivisionError" in envelope
    assert response["X-Request-ID"] in envelope  # the tag: the log line and the report meet


def _request_that_fails(client):
    from unittest import mock

    with mock.patch("shelfmark.health._database_problem", side_effect=ZeroDivisionError):
        return client.get("/healthz")
