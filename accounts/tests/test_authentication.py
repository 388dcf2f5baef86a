"""``Authorization: Token <key>`` / ``Bearer <key>`` against real endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.selectors import LAST_USED_RESOLUTION_SECONDS
from accounts.services import token_create
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

TOKENS_URL = "/api/v1/tokens/"
WWW_AUTHENTICATE = 'Token realm="api"'


@pytest.fixture
def issued(patron_user):
    """A token of the patron ``reader`` and its key."""
    return token_create(user=patron_user, name="script")


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token", "bearer", "TOKEN", "bEaReR"])
def test_a_valid_key_authenticates_with_either_keyword_in_any_case(api_client, issued, keyword):
    token, key = issued

    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"{keyword} {key}")

    assert response.status_code == 200
    assert [(row["id"], row["username"]) for row in response.json()["results"]] == [
        (token.id, "reader")
    ]


def test_without_credentials_the_endpoint_answers_401(api_client, issued):
    response = api_client.get(TOKENS_URL)

    error = assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert "credentials" in error["message"].lower()


@pytest.mark.parametrize(
    "header",
    [
        "Token shm_thisIsNotAnIssuedKeyAtAll000000000000000000",
        "Bearer nonsense",
        "Token shm_",
    ],
)
def test_an_unknown_key_is_refused(api_client, issued, header):
    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=header)

    error = assert_error(response, 401, "authentication_failed")
    assert error["message"] == "Invalid, expired or revoked token."
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE


def test_the_stored_hash_is_not_a_key(api_client, issued):
    token, _ = issued

    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {token.key_hash}")

    assert_error(response, 401, "authentication_failed")


def test_an_expired_token_is_refused(api_client, issued):
    token, key = issued
    assert api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")

    error = assert_error(response, 401, "authentication_failed")
    assert "expired" in error["message"]


def test_a_token_of_a_deactivated_user_is_refused(api_client, issued, patron_user):
    _, key = issued
    get_user_model().objects.filter(pk=patron_user.pk).update(is_active=False)

    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert_error(response, 401, "authentication_failed")


def test_a_revoked_token_is_refused(api_client, issued):
    token, key = issued
    token.delete()

    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")

    assert_error(response, 401, "authentication_failed")


@pytest.mark.parametrize(
    "header", ["Token", "Bearer", "token   ", "Token a b", "Bearer shm_abc extra", "Token  a  b  c"]
)
def test_a_malformed_header_is_refused_with_a_hint(api_client, issued, header):
    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=header)

    error = assert_error(response, 401, "authentication_failed")
    assert error["message"] == (
        "Malformed Authorization header: send 'Token <key>' or 'Bearer <key>'."
    )
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE


def test_a_key_that_is_not_ascii_is_refused_not_a_crash(api_client, issued):
    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION="Token shm_caf\u00e9")

    error = assert_error(response, 401, "authentication_failed")
    assert error["message"] == "Invalid token."


def test_other_schemes_are_left_alone(api_client, issued):
    # Not ours: the request continues anonymously, so public reads work...
    assert (
        api_client.get("/api/v1/books/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz").status_code == 200
    )
    # ...and an endpoint that needs a login asks for one, rather than calling the key bad.
    response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert_error(response, 401, "not_authenticated")


def test_a_bad_token_is_not_rescued_by_a_session(issued, patron_user):
    # A client that sends a token means that token: a wrong one fails even with a session.
    client = APIClient()
    client.force_login(patron_user)
    assert client.get(TOKENS_URL).status_code == 200

    response = client.get(TOKENS_URL, HTTP_AUTHORIZATION="Token shm_wrong")

    assert_error(response, 401, "authentication_failed")


def test_token_requests_are_not_subject_to_csrf(patron_user, issued):
    _, key = issued
    client = APIClient(enforce_csrf_checks=True)

    response = client.post(
        TOKENS_URL, {"name": "from a script"}, format="json", HTTP_AUTHORIZATION=f"Token {key}"
    )

    assert response.status_code == 201
    assert response.json()["username"] == "reader"


def test_a_staff_token_grants_staff_rights(api_client, token_admin, patron_user):
    _, staff_key = token_create(user=token_admin, name="desk")
    patron_token, patron_key = token_create(user=patron_user, name="home")

    as_staff = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {staff_key}")
    as_patron = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {patron_key}")

    assert {row["username"] for row in as_staff.json()["results"]} == {"librarian", "reader"}
    assert [row["id"] for row in as_patron.json()["results"]] == [patron_token.id]


def test_last_used_at_is_set_and_not_rewritten_within_a_minute(api_client, issued):
    token, key = issued
    assert token.last_used_at is None

    before = timezone.now()
    api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first_use is not None
    assert before <= first_use <= timezone.now()

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert not [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")
    ]
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use
    # The list shows when the token was last used.
    assert response.json()["results"][0]["last_used_at"] is not None


def test_last_used_at_is_refreshed_after_a_minute(api_client, issued):
    token, key = issued
    long_ago = timezone.now() - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS + 5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)

    api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")

    assert ApiToken.objects.get(pk=token.pk).last_used_at >= long_ago + timedelta(minutes=1)


def test_a_failed_attempt_does_not_touch_last_used_at(api_client, issued):
    token, key = issued
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    api_client.get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")

    assert ApiToken.objects.get(pk=token.pk).last_used_at is None
