"""One error shape for the API, and no 500 for bad input.

Covers shelfmark.errors, shelfmark.api.exceptions (handler, /api/ catch-all), shelfmark.views
(handler500) and the pagination checks in shelfmark.api.pagination, through the catalog's
endpoints where a real request is needed.
"""

from __future__ import annotations

import base64
import json
from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.test import RequestFactory
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework import exceptions
from rest_framework.test import APIClient

from catalog.models import Subject
from shelfmark import urls
from shelfmark.api.exceptions import error_body, exception_handler
from shelfmark.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from shelfmark.tests.helpers import assert_error
from shelfmark.views import server_error

pytestmark = pytest.mark.django_db

BOOKS_URL = "/api/v1/books/"


def forged_cursor(**params: str) -> str:
    """A cursor as DRF encodes one: base64 of a query string (p = position, o = offset)."""
    return base64.b64encode(urlencode(params).encode()).decode()


# --- domain errors and the exception handler ------------------------------------------------------


@pytest.mark.parametrize(
    ("error_class", "status", "code"),
    [
        (DomainError, 400, "error"),
        (InvalidInput, 400, "invalid"),
        (NotAllowed, 403, "permission_denied"),
        (NotFound, 404, "not_found"),
        (Conflict, 409, "conflict"),
    ],
)
def test_domain_errors_map_to_their_status_and_code(error_class, status, code):
    response = exception_handler(error_class("Something is off."), {})

    assert response.status_code == status
    assert response.data == {
        "error": {"status": status, "code": code, "message": "Something is off."}
    }


def test_a_domain_error_keeps_a_custom_code_and_names_its_field():
    error = Conflict("That barcode is taken.", code="duplicate_barcode", field="barcode")

    response = exception_handler(error, {})

    assert response.status_code == 409
    assert response.data == {
        "error": {
            "status": 409,
            "code": "duplicate_barcode",
            "message": "That barcode is taken.",
            "fields": {"barcode": ["That barcode is taken."]},
        }
    }
    assert str(error) == "That barcode is taken."
    assert InvalidInput("x").as_field_errors() is None


def test_error_body_leaves_out_empty_fields():
    assert error_body(400, "invalid", "Bad.") == {
        "error": {"status": 400, "code": "invalid", "message": "Bad."}
    }
    assert error_body(400, "invalid", "Bad.", {})["error"].keys() == {"status", "code", "message"}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("gone"), 404, "not_found"),
        (DjangoPermissionDenied(), 403, "permission_denied"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.ParseError("JSON parse error"), 400, "parse_error"),
        (exceptions.Throttled(wait=30), 429, "throttled"),
    ],
)
def test_django_and_drf_errors_get_the_same_shape(exc, status, code):
    response = exception_handler(exc, {})

    assert response.status_code == status
    assert set(response.data) == {"error"}
    assert response.data["error"]["status"] == status
    assert response.data["error"]["code"] == code
    assert isinstance(response.data["error"]["message"], str)


def test_throttled_says_when_to_retry():
    response = exception_handler(exceptions.Throttled(wait=30), {})

    assert response["Retry-After"] == "30"
    assert "30 seconds" in response.data["error"]["message"]


@pytest.mark.parametrize(
    ("detail", "fields"),
    [
        ({"isbn": ["Bad check digit."]}, {"isbn": ["Bad check digit."]}),
        (["Title or ISBN needed."], {"non_field_errors": ["Title or ISBN needed."]}),
    ],
)
def test_validation_errors_list_their_fields(detail, fields):
    response = exception_handler(exceptions.ValidationError(detail), {})

    assert response.status_code == 400
    assert response.data == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "The request has invalid fields; see 'fields'.",
            "fields": fields,
        }
    }


def test_a_real_bug_is_left_to_django_as_a_500():
    assert exception_handler(ZeroDivisionError("oops"), {}) is None


# --- unknown paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/books/", "/api/v1/books/1/extra/"])
def test_an_unknown_api_path_is_a_json_404(client, path):
    response = client.get(path)

    error = assert_error(response, 404, "not_found")
    assert error["message"] == f"No API endpoint at {path}. See /api/ for the list."


def test_an_unknown_api_path_is_a_json_404_for_writes_too(staff_client):
    response = staff_client.post("/api/v1/nope/", {"x": 1}, format="json")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/api/v1/books", "/api/v1/books/"),
        ("/api/v1/tokens", "/api/v1/tokens/"),
        ("/api/v1/books/12", "/api/v1/books/12/"),
    ],
)
def test_a_missing_trailing_slash_gets_a_hint(client, path, endpoint):
    # The /api/ catch-all keeps APPEND_SLASH from redirecting, so the 404 says what to type.
    response = client.get(path)

    error = assert_error(response, 404, "not_found")
    assert f"Did you mean {endpoint}" in error["message"]


def test_no_slash_hint_when_the_path_with_a_slash_is_unknown_too(client):
    error = assert_error(client.get("/api/v1/nope"), 404, "not_found")

    assert "Did you mean" not in error["message"]
    assert "/api/" in error["message"]


def test_an_unknown_page_outside_the_api_stays_html(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("raw_id", ["99999999999999999999", "9" * 19, "-1", "1.0", "abc"])
def test_an_id_that_cannot_name_a_row_is_a_json_404(client, raw_id):
    response = client.get(f"{BOOKS_URL}{raw_id}/")

    assert_error(response, 404, "not_found")


# --- writes: parsing, authentication, permission -------------------------------------------------


def test_malformed_json_is_a_400_with_the_shape(staff_client):
    response = staff_client.post(BOOKS_URL, data="{bad", content_type="application/json")

    error = assert_error(response, 400, "parse_error")
    assert "JSON parse error" in error["message"]


def test_an_unsupported_media_type_is_a_415_with_the_shape(staff_client):
    response = staff_client.post(BOOKS_URL, data="title=Dune", content_type="text/plain")

    error = assert_error(response, 415, "unsupported_media_type")
    assert "text/plain" in error["message"]


def test_an_anonymous_write_is_a_401_with_www_authenticate(api_client):
    response = api_client.post(BOOKS_URL, {"title": "Dune"}, format="json")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_an_anonymous_write_with_malformed_json_is_still_a_401(api_client):
    # Who you are is settled before the body is read.
    response = api_client.post(BOOKS_URL, data="{bad", content_type="application/json")

    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(("method", "path"), [("post", BOOKS_URL), ("delete", f"{BOOKS_URL}1/")])
def test_a_non_staff_write_is_a_403(patron_client, method, path):
    response = getattr(patron_client, method)(path, {"title": "Dune"}, format="json")

    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "Only staff accounts may change the catalog."


def test_an_inactive_staff_session_cannot_write(staff_user):
    staff_user.is_active = False
    client = APIClient()
    client.force_authenticate(staff_user)

    response = client.post(BOOKS_URL, {"title": "Dune"}, format="json")

    assert_error(response, 403, "permission_denied")


def test_a_method_the_endpoint_lacks_is_a_405_with_the_shape(staff_client):
    response = staff_client.put(BOOKS_URL, {"title": "Dune"}, format="json")

    error = assert_error(response, 405, "method_not_allowed")
    assert '"PUT"' in error["message"]


def test_an_unsatisfiable_accept_header_is_a_406_with_the_shape(client):
    response = client.get(BOOKS_URL, HTTP_ACCEPT="application/xml")

    assert_error(response, 406, "not_acceptable")


# --- pagination input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page_size",
    ["0", "abc", "101", "-1", "", "1.5", " 5", "\u00b2", "\u0665", "9" * 5000, "0x10"],
)
def test_a_bad_page_size_is_a_400_naming_the_field(client, page_size):
    response = client.get(BOOKS_URL, {"page_size": page_size})

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"page_size": ["Must be a whole number from 1 to 100."]}


@pytest.mark.parametrize("page_size", ["1", "100", "007"])
def test_page_sizes_from_1_to_100_are_accepted(client, page_size):
    response = client.get(BOOKS_URL, {"page_size": page_size})

    assert response.status_code == 200
    assert response.json()["results"] == []


@hypothesis_settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page_size=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12))
def test_any_page_size_is_accepted_or_a_400_never_a_500(client, page_size):
    response = client.get("/api/v1/subjects/", {"page_size": page_size})

    valid = page_size.isascii() and page_size.isdigit() and 1 <= int(page_size) <= 100
    assert response.status_code == (200 if valid else 400)


@pytest.mark.parametrize("ordering", ["bogus", "--title", "-", "title,year", "sort_year", "id"])
def test_an_unknown_ordering_is_a_400_listing_the_choices(client, ordering):
    response = client.get(BOOKS_URL, {"ordering": ordering})

    error = assert_error(response, 400, "invalid")
    (message,) = error["fields"]["ordering"]
    assert f"Unknown ordering '{ordering}'" in message
    assert "created, relevance, title, updated, year" in message


@pytest.mark.parametrize("ordering", ["title", "-title", "year", "-created", "updated"])
def test_the_documented_orderings_work(client, ordering):
    assert client.get(BOOKS_URL, {"ordering": ordering}).status_code == 200


# --- cursors -------------------------------------------------------------------------------------


@pytest.fixture
def subjects(db):
    return [Subject.objects.create(name=name) for name in ("Art", "Botany", "Chess")]


def test_a_real_cursor_round_trips(client, subjects):
    first = client.get("/api/v1/subjects/", {"page_size": 2}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]

    second = client.get("/api/v1/subjects/", {"page_size": 2, "cursor": cursor}).json()

    assert [row["name"] for row in first["results"]] == ["Art", "Botany"]
    assert [row["name"] for row in second["results"]] == ["Chess"]


def assert_invalid_cursor(response) -> None:
    # A 4xx in the error shape that names the cursor; never a 500, never a page.
    assert response.status_code in (400, 404), response.content
    error = assert_error(response, response.status_code, response.json()["error"]["code"])
    named = "cursor" in error["message"].lower() or "cursor" in error.get("fields", {})
    assert named, error


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/subjects/", {"cursor": "garbage"}),
        ("/api/v1/subjects/", {"cursor": forged_cursor(o="many")}),
        # Positions that do not fit the ordering column: text for a year, a malformed date.
        (BOOKS_URL, {"ordering": "year", "cursor": forged_cursor(p="abc")}),
        (BOOKS_URL, {"ordering": "-year", "cursor": forged_cursor(p="1.5", r="1")}),
        (BOOKS_URL, {"ordering": "created", "cursor": forged_cursor(p="yesterday")}),
        ("/api/v1/subjects/", {"ordering": "created", "cursor": forged_cursor(p="2024-13-45")}),
        # PostgreSQL refuses NUL in text parameters.
        ("/api/v1/subjects/", {"cursor": forged_cursor(p="Art\x00")}),
    ],
)
def test_an_invalid_cursor_is_a_json_4xx_not_a_500(client, subjects, path, params):
    response = client.get(path, params)

    assert_invalid_cursor(response)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ordering=st.sampled_from(["year", "created", "title", "-updated"]),
    position=st.one_of(st.text(max_size=30), st.integers().map(str)),
)
def test_any_forged_cursor_position_is_a_page_or_a_4xx(client, ordering, position):
    response = client.get(BOOKS_URL, {"ordering": ordering, "cursor": forged_cursor(p=position)})

    if response.status_code == 200:
        assert response.json()["results"] == []
    else:
        assert_invalid_cursor(response)


# --- handler500 ----------------------------------------------------------------------------------


def test_the_project_uses_the_split_500_handler():
    assert urls.handler500 == "shelfmark.views.server_error"


def test_server_error_answers_json_under_the_api():
    response = server_error(RequestFactory().get("/api/v1/books/"))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "error": {
            "status": 500,
            "code": "server_error",
            "message": "Something went wrong on the server; it has been logged.",
        }
    }


@pytest.mark.parametrize("path", ["/", "/books/1/", "/apis/", "/admin/"])
def test_server_error_answers_html_elsewhere(path):
    response = server_error(RequestFactory().get(path))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"<h1>Something went wrong</h1>" in response.content
    assert b'"error"' not in response.content


def test_an_unexpected_exception_in_an_api_view_is_a_json_500(patron_user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(patron_user)

    with mock.patch("accounts.api.token_list", side_effect=RuntimeError("a bug")):
        response = client.get("/api/v1/tokens/")

    error = assert_error(response, 500, "server_error")
    assert "a bug" not in error["message"]


def test_text_longer_than_documented_is_refused_even_when_it_trims_shorter(staff_client):
    # Schemathesis found it: maxLength is documented for what is sent, not what remains after
    # trimming; \x1c is white space to str.strip().
    name = "\x1c" * 10 + "a" * 250

    response = staff_client.post("/api/v1/authors/", {"name": name})

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"name": ["Ensure this field has no more than 255 characters."]}
