"""Hostile request bodies and headers under /api/: answered in the one error shape, never a 500
and never Django's HTML pages.

Covers shelfmark.api.parsers (the project's JSON parser: depth and size limits),
shelfmark.api.exceptions (RequestTooLarge, api_bad_request) and shelfmark.views.bad_request
(handler400).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import DisallowedHost, RequestDataTooBig, SuspiciousOperation
from django.test import Client, RequestFactory
from rest_framework.exceptions import ParseError

from catalog.models import Book
from shelfmark import urls
from shelfmark.api.exceptions import exception_handler
from shelfmark.api.parsers import MAX_DEPTH, JSONParser, RequestTooLarge
from shelfmark.tests.helpers import assert_error
from shelfmark.views import bad_request

pytestmark = pytest.mark.django_db

BOOKS_URL = "/api/v1/books/"
UPLOAD_LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE default, which the project keeps


def nested(depth: int, kind: str = "list") -> str:
    """A JSON document of arrays (or objects) inside each other, ``depth`` levels deep."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.fixture
def session_client(staff_user) -> Client:
    """A signed-in browser session whose writes go through DRF's CSRF check. With the CSRF
    cookie but no X-CSRFToken header, the check looks for the token in the body (request.POST),
    which reads and parses it before the view does."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(staff_user)
    client.cookies["csrftoken"] = "k" * 32
    return client


@pytest.fixture
def token_like_client(staff_user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(staff_user)  # no CSRF enforcement: like a token, the body is read once
    return client


def post_json(client, body: str | bytes, **extra):
    return client.post(BOOKS_URL, data=body, content_type="application/json", **extra)


# --- nesting depth -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["list", "object"])
def test_the_parser_reads_a_document_as_deep_as_the_limit(kind):
    document = JSONParser().parse(io.BytesIO(nested(MAX_DEPTH, kind).encode()))

    depth = 0
    while document:
        document = document[0] if isinstance(document, list) else document["a"]
        depth += 1
    assert depth == MAX_DEPTH - 1  # the innermost level is the empty one


@pytest.mark.parametrize("kind", ["list", "object"])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 1_000, 100_000])
def test_the_parser_refuses_a_deeper_document_with_a_parse_error(kind, depth):
    with pytest.raises(ParseError, match=f"nested more than {MAX_DEPTH} levels deep"):
        JSONParser().parse(io.BytesIO(nested(depth, kind).encode()))


def test_brackets_inside_strings_do_not_count_as_depth():
    text = json.dumps({"title": "[" * 5_000 + "{" * 5_000})

    assert JSONParser().parse(io.BytesIO(text.encode())) == json.loads(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_too_deep_json_is_a_400_parse_error_not_a_500(token_like_client, depth):
    response = post_json(token_like_client, nested(depth))

    error = assert_error(response, 400, "parse_error")
    assert f"nested more than {MAX_DEPTH} levels deep" in error["message"]
    assert Book.objects.count() == 0


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000])
def test_too_deep_json_is_a_400_through_the_csrf_check_of_a_session_post(session_client, depth):
    response = post_json(session_client, nested(depth))

    assert_error(response, 400, "parse_error")


def test_the_session_post_above_does_go_through_the_csrf_check(session_client):
    # The same client with a well-formed body and no CSRF token is refused by the check: the
    # deep body above was read by that check, before any view.
    response = post_json(session_client, json.dumps({"title": "Dune"}))

    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "CSRF Failed: CSRF token missing."


def test_too_deep_json_is_a_400_in_the_browsable_api_too(session_client):
    response = post_json(session_client, nested(1_000), HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert b"nested more than" in response.content


def test_a_document_within_the_limit_reaches_the_serializer(token_like_client):
    # Nested but not too deep: an ordinary invalid-fields answer, so the limit is not too low.
    response = post_json(token_like_client, json.dumps({"title": nested(3), "authors": [[["X"]]]}))

    assert_error(response, 400, "invalid")


@pytest.mark.parametrize("body", ["{bad", '{"title": NaN}', b'{"title": "\xff"}'])
def test_malformed_json_is_still_a_400_parse_error(token_like_client, body):
    response = post_json(token_like_client, body)

    error = assert_error(response, 400, "parse_error")
    assert error["message"].startswith("JSON parse error - ")


# --- body size -----------------------------------------------------------------------------------


def oversized() -> str:
    return json.dumps({"title": "x" * UPLOAD_LIMIT})


def assert_too_large(response) -> None:
    error = assert_error(response, 413, "request_too_large")
    assert f"({UPLOAD_LIMIT} bytes)" in error["message"]


def test_a_body_over_the_upload_limit_is_a_413(token_like_client):
    assert_too_large(post_json(token_like_client, oversized()))
    assert Book.objects.count() == 0


def test_a_body_over_the_upload_limit_is_a_413_through_the_csrf_check(session_client):
    assert_too_large(post_json(session_client, oversized()))


def test_a_body_over_the_upload_limit_is_a_413_in_the_browsable_api_too(session_client):
    response = post_json(session_client, oversized(), HTTP_ACCEPT="text/html")

    assert response.status_code == 413


def test_a_body_at_the_upload_limit_is_read(token_like_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64
    body = json.dumps("x" * 62)  # a JSON string, not the object a book is: parsed, then invalid
    assert len(body) == 64

    assert_error(post_json(token_like_client, body), 400, "invalid")
    assert_error(post_json(token_like_client, body + " "), 413, "request_too_large")


def test_a_body_that_outgrows_its_declared_length_is_cut_there(settings):
    # The parser does not trust Content-Length alone: it never reads past the limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    request = RequestFactory().post(BOOKS_URL, data="[1, 2, 3, 4, 5, 6]", content_type="x/y")
    request.META["CONTENT_LENGTH"] = "2"

    with pytest.raises(RequestTooLarge, match="larger than this API accepts"):
        JSONParser().parse(io.BytesIO(b"[1, 2, 3, 4, 5, 6]"), parser_context={"request": request})


def test_request_body_too_big_from_django_maps_to_the_413():
    response = exception_handler(RequestDataTooBig("too big"), {})

    assert response.status_code == 413
    assert response.data["error"]["code"] == "request_too_large"


# --- Django's own 400s (handler400) --------------------------------------------------------------


def test_the_project_uses_the_split_400_handler():
    assert urls.handler400 == "shelfmark.views.bad_request"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", [BOOKS_URL, "/api/", "/api/schema/", "/api/v1/nope/"])
def test_a_disallowed_host_is_a_json_400_under_the_api(client, method, path):
    response = getattr(client, method)(path, HTTP_HOST="evil.example")

    error = assert_error(response, 400, "disallowed_host")
    assert "evil.example" not in error["message"]


@pytest.mark.parametrize("path", ["/", "/books/1/", "/admin/login/", "/api-auth/login/"])
def test_a_disallowed_host_stays_an_html_400_elsewhere(client, path):
    response = client.get(path, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("exception", "status", "code"),
    [
        (RequestDataTooBig("big"), 413, "request_too_large"),
        (DisallowedHost("host"), 400, "disallowed_host"),
        (SuspiciousOperation("odd"), 400, "bad_request"),
    ],
)
def test_bad_request_answers_json_under_the_api(exception, status, code):
    response = bad_request(RequestFactory().get(BOOKS_URL), exception)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"]["code"] == code


def test_bad_request_answers_html_elsewhere():
    response = bad_request(RequestFactory().get("/books/1/"), RequestDataTooBig("big"))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
