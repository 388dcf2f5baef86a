"""shelfmark.api.pagination: the DRF adapter over shelfmark.keyset, through the API.

test_errors.py covers bad parameters in general; these cover what only the adapter does:
errors raised while paging (a well-formed cursor whose values do not fit the ordering) keyed by
the parameter, the links, and the browsable API's page controls.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog.tests.factories import BookFactory
from shelfmark.api.pagination import KeysetPagination
from shelfmark.keyset import INVALID_CURSOR_MESSAGE, Position, decode_cursor
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

BOOKS_URL = "/api/v1/books/"


def cursor_of(values: list, backwards: int = 0) -> str:
    raw = json.dumps({"p": values, "b": backwards}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.fixture
def books():
    return [BookFactory(title=f"Title {n}", year=1900 + n % 2) for n in range(5)]


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        ("year", ["abc", 1]),  # text for a number
        ("created", ["yesterday", 1]),  # not a date
        ("created", ["2024-01-01T10:00:00", 1]),  # no UTC offset
        ("-updated", ["2024-13-45T00:00:00+00:00", 1]),  # an impossible date
        ("title", ["Emma"]),  # too few values for (title, id)
        ("title", ["Emma", "three"]),  # text for the id
    ],
)
@pytest.mark.parametrize("backwards", [0, 1])
def test_a_well_formed_cursor_that_does_not_fit_the_ordering_is_a_400(
    client, books, ordering, values, backwards
):
    cursor = cursor_of(values, backwards)
    response = client.get(BOOKS_URL, {"ordering": ordering, "cursor": cursor})

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"cursor": [INVALID_CURSOR_MESSAGE]}


def test_next_and_previous_links_keep_the_other_parameters(client, books):
    first = client.get(BOOKS_URL, {"page_size": 2, "ordering": "-title", "q": "title"}).json()
    second = client.get(first["next"]).json()

    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/books/?")
    query = parse_qs(urlsplit(second["previous"]).query)
    assert (query["page_size"], query["ordering"], query["q"]) == (["2"], ["-title"], ["title"])
    assert [book["title"] for book in second["results"]] == ["Title 2", "Title 1"]
    assert decode_cursor(cursor_in(first["next"])) == Position(
        ("Title 3", books[3].pk), backwards=False
    )
    back = client.get(second["previous"]).json()
    assert back["results"] == first["results"]
    assert back["previous"] is None


def test_the_browsable_api_shows_page_controls_only_when_there_are_pages(staff_client, books):
    paged = staff_client.get(BOOKS_URL, {"page_size": 2}, HTTP_ACCEPT="text/html")
    single = staff_client.get(BOOKS_URL, HTTP_ACCEPT="text/html")

    assert paged.status_code == single.status_code == 200
    assert 'rel="next" aria-label="Next page"' in paged.content.decode()
    assert 'class="pager"' not in single.content.decode()


def test_the_adapter_keeps_drfs_cursor_parameter_names():
    paginator = KeysetPagination()

    assert (paginator.cursor_query_param, paginator.page_size_query_param) == (
        "cursor",
        "page_size",
    )
    assert paginator.ordering_param == "ordering"


@pytest.mark.django_db
def test_a_page_ending_on_the_longest_title_links_to_the_next(api_client):
    # 500 characters of Japanese: 1,500 bytes of UTF-8; as \\u escapes the cursor was too long.
    from catalog.tests.factories import BookFactory

    for n in range(3):
        BookFactory(title="本" * 499 + str(n))

    first = api_client.get("/api/v1/books/", {"page_size": 1}).json()
    second = api_client.get(first["next"])

    assert second.status_code == 200, second.content
    assert second.json()["results"][0]["title"].endswith("1")
