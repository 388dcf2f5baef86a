"""The catalog page's facets: filters to narrow a search by, with counts, and the filters in use
with links that remove them."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from catalog.models import CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def shelf():
    bleak = BookFactory(
        title="Bleak House", authors=["Charles Dickens"], year=1853, subjects=["Fiction", "Law"]
    )
    BookFactory(title="Little Dorrit", authors=["Charles Dickens"], year=1857, subjects=["Fiction"])
    BookFactory(
        title="Oliver Twist",
        authors=["Charles Dickens"],
        year=1838,
        language="fr",
        subjects=["Fiction", "1984"],  # a subject whose name reads as an id
    )
    BookFactory(title="Emma", authors=["Jane Austen"], year=1815, subjects=["Fiction"])
    CopyFactory(book=bleak, status=CopyStatus.AVAILABLE)


def facet_section(page: str, heading: str) -> str:
    match = re.search(rf"<h3 id=\"facet-\w+\">{heading}</h3>\s*<ul>(.*?)</ul>", page, re.S)
    assert match, f"no facet {heading!r}"
    return match.group(1)


def links(fragment: str) -> dict[str, str]:
    """Link text (whitespace squashed, hidden words kept) -> URL."""
    return {
        " ".join(re.sub(r"<[^>]+>", "", text).split()): html.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', fragment, re.S)
    }


def titles(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/books/\d+/">([^<]+)</a></h2>', page)


def test_a_search_shows_its_facets_with_counts_as_links(client, shelf):
    page = client.get("/", {"q": "dickens"}).content.decode()
    assert '<h2 id="facets-heading">Narrow the results</h2>' in page
    subjects = links(facet_section(page, "Subject"))
    assert set(subjects) == {"Fiction (3 books)", "Law (1 book)", "1984 (1 book)"}
    assert subjects["Fiction (3 books)"] == "/?q=dickens&subject=Fiction"
    assert set(links(facet_section(page, "Author"))) == {"Charles Dickens (3 books)"}
    assert set(links(facet_section(page, "Language"))) == {
        "English (2 books)",
        "French (1 book)",
    }
    assert set(links(facet_section(page, "Decade"))) == {"1850s (2 books)", "1830s (1 book)"}
    assert links(facet_section(page, "Availability")) == {
        "None on the shelf (2 books)": "/?q=dickens&available=false",
        "On the shelf now (1 book)": "/?q=dickens&available=true",
    }


def test_the_facet_links_narrow_and_the_remove_links_widen(client, shelf):
    page = client.get("/", {"q": "dickens"}).content.decode()
    narrowed = client.get(links(facet_section(page, "Decade"))["1850s (2 books)"])
    page = narrowed.content.decode()
    assert titles(page) == ["Bleak House", "Little Dorrit"]
    # The filter in use is listed, and its value is shown, not linked.
    assert "Decade: <strong>1850s</strong>" in page
    assert '<span class="current" aria-current="true">1850s' in page
    page = client.get(links(facet_section(page, "Availability"))["On the shelf now (1 book)"])
    page = page.content.decode()
    assert titles(page) == ["Bleak House"]
    in_use = links(re.search(r'class="active-filters".*?</section>', page, re.S).group(0))
    assert in_use == {
        "Remove the filter Decade: 1850s": "/?q=dickens&available=true",
        "Remove the filter Availability: On the shelf now": "/?q=dickens&decade=1850",
        "Remove all filters": "/?q=dickens",
    }
    page = client.get(in_use["Remove the filter Decade: 1850s"]).content.decode()
    assert titles(page) == ["Bleak House"]
    assert titles(client.get(in_use["Remove all filters"]).content.decode()) == [
        "Bleak House",
        "Little Dorrit",
        "Oliver Twist",
    ]


def test_a_name_that_reads_as_an_id_links_by_id(client, shelf):
    page = client.get("/", {"q": "twist"}).content.decode()
    url = links(facet_section(page, "Subject"))["1984 (1 book)"]
    assert re.fullmatch(r"/\?q=twist&subject=\d+", url)
    page = client.get(url).content.decode()
    assert titles(page) == ["Oliver Twist"]
    assert "Subject: <strong>1984</strong>" in page  # the name, not the id


def test_facet_links_start_the_list_from_its_first_page(client):
    for n in range(30):
        BookFactory(title=f"Volume {n:02d}", subjects=["Serials"])
    first = client.get("/", {"subject": "Serials"}).content.decode()
    next_url = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    second = client.get(next_url).content.decode()
    assert "cursor=" not in "".join(links(facet_section(second, "Decade")).values())


def test_the_bare_home_page_and_an_empty_search_show_no_facets(
    client, shelf, django_assert_num_queries
):
    with django_assert_num_queries(5):  # the page, copy counts, authors, subjects, holds
        page = client.get("/").content.decode()
    assert "Narrow the results" not in page
    assert "Filters in use" not in page
    # The page, and the spelling vocabulary's look-ups for words that match nothing (at most 3).
    with django_assert_num_queries(4):
        page = client.get("/", {"q": "nothing like this"}).content.decode()
    assert "No books match" in page
    assert "Narrow the results" not in page


def test_a_search_with_facets_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    for n in range(30):
        BookFactory(authors=[f"Writer {n}"], subjects=[f"Topic {n}", "Common"], year=1900 + n)
    # The search's two vocabulary look-ups, the page, copy counts, authors, subjects, holds; the
    # facets' probe (with languages and years) and a query each for authors, subjects and
    # availability.
    with django_assert_num_queries(11):
        client.get("/", {"q": "writer"})
    with django_assert_num_queries(11):
        client.get("/", {"q": "writer", "subject": "Common", "decade": "1910"})


def test_estimated_counts_are_said_on_the_page(client, shelf, settings):
    settings.CATALOG_FACETS_EXACT_LIMIT = 2
    page = client.get("/", {"q": "dickens"}).content.decode()
    assert "More than 2 books match: the counts are from the first 2 of them." in page


def test_a_bad_decade_gets_the_pages_error_not_a_500(client, shelf):
    response = client.get("/", {"decade": "1855"})
    assert response.status_code == 400
    assert "multiple of 10" in response.content.decode()
