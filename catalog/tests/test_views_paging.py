"""The home page's paging, done with shelfmark.keyset directly (no DRF request)."""

import base64
import html
import json
import re

import pytest
from django.test import Client

from catalog.tests.factories import BookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client()


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def titles(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/books/\d+/">([^<]+)</a></h2>', page)


def test_pages_forwards_and_back_keep_the_search(client):
    for n in range(8):
        BookFactory(title=f"Volume {n}")
    BookFactory(title="Unrelated")

    first = client.get("/", {"q": "volume", "page_size": "3"}).content.decode()
    second = client.get(link(first, "next")).content.decode()
    back = client.get(link(second, "prev")).content.decode()

    assert titles(first) == ["Volume 0", "Volume 1", "Volume 2"]
    assert titles(second) == ["Volume 3", "Volume 4", "Volume 5"]
    next_link = link(second, "next")
    assert next_link is not None
    assert "q=volume" in next_link
    assert titles(back) == titles(first)
    assert link(first, "prev") is None
    assert link(back, "prev") is None


def test_the_ordering_parameter_reverses_the_list(client):
    for title in ("Alpha", "Beta", "Gamma"):
        BookFactory(title=title)

    page = client.get("/", {"ordering": "-title"}).content.decode()

    assert titles(page) == ["Gamma", "Beta", "Alpha"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"cursor": "garbage!"}, "cursor: Invalid cursor: use the &#x27;next&#x27; and"),
        # Well-formed, but text where the ordering has the book id.
        (
            {"cursor": base64.urlsafe_b64encode(json.dumps({"p": ["A", "x"], "b": 0}).encode())},
            "cursor: Invalid cursor",
        ),
        ({"page_size": "0"}, "page_size: Must be a whole number from 1 to 100."),
        (
            {"ordering": "year"},
            "ordering: Unknown ordering &#x27;year&#x27;. Use one of: relevance, title",
        ),
    ],
)
def test_bad_paging_parameters_get_the_page_with_the_message(client, query, message):
    BookFactory(title="Alpha")

    response = client.get("/", query)

    assert response.status_code == 400
    page = response.content.decode()
    assert "could not be understood" in page
    assert message in page
    assert "Alpha" not in page
