"""/healthz: what probes and compose healthchecks see."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    # Never served from a cache: a stale "ok" would hide an outage.
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control
    assert "no-store" in cache_control
    assert "max-age=0" in cache_control


def test_healthz_runs_a_real_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("error", [OperationalError, InterfaceError, DatabaseError])
def test_healthz_is_503_when_the_database_fails(client, error):
    with mock.patch.object(connection, "cursor", side_effect=error("connection refused")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "unavailable",
        "database": "error",
        "detail": error.__name__,
    }
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_when_the_query_itself_fails(client):
    failing_cursor = mock.MagicMock()
    failing_cursor.__enter__.return_value.execute.side_effect = OperationalError("server closed")

    with mock.patch.object(connection, "cursor", return_value=failing_cursor):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_does_not_leak_the_error_text(client):
    secret = "password authentication failed for user shelfmark at db.internal"
    with mock.patch.object(connection, "cursor", side_effect=OperationalError(secret)):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert "password" not in response.content.decode()
    assert "db.internal" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_healthz_only_answers_get_and_head(client, method):
    response = getattr(client, method)("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_healthz_answers_head_for_probes_that_send_it(client):
    response = client.head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


def test_healthz_needs_no_login_and_sets_no_cookie(client, staff_user):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert not response.cookies


def test_healthz_is_exempt_from_the_https_redirect(settings):
    # Probes speak plain http inside the network, while browsers are sent to https.
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # built after the change: SecurityMiddleware reads settings at start

    probe = client.get("/healthz")
    page = client.get("/api/")

    assert probe.status_code == 200
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/api/"
