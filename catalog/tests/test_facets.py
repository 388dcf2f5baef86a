"""Facets of the book list (catalog.facets): the API's ``?facets=``, the ``?decade=`` filter, the
estimate past the exact limit, and their queries."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.facets import FACET_NAMES, book_facets, decade_of, decade_years, facet_names
from catalog.filters import BookFilter
from catalog.models import YEAR_MAX, YEAR_MIN, Book, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from shelfmark.errors import InvalidInput

pytestmark = pytest.mark.django_db

BOOKS = "/api/v1/books/"
ALL = ",".join(FACET_NAMES)


@pytest.fixture
def shelf() -> dict[str, Book]:
    """Seven books: five by Dickens (three in the 1850s), two by Austen; French and English;
    Fiction on six, History on two; three with a copy on the shelf."""
    books = {
        "bleak": BookFactory(
            title="Bleak House",
            authors=["Charles Dickens"],
            year=1853,
            language="en",
            subjects=["Fiction", "Law"],
        ),
        "dorrit": BookFactory(
            title="Little Dorrit",
            authors=["Charles Dickens"],
            year=1857,
            language="en",
            subjects=["Fiction"],
        ),
        "cities": BookFactory(
            title="A Tale of Two Cities",
            authors=["Charles Dickens"],
            year=1859,
            language="en",
            subjects=["Fiction", "History"],
        ),
        "twist": BookFactory(
            title="Oliver Twist",
            authors=["Charles Dickens"],
            year=1838,
            language="fr",
            subjects=["Fiction"],
        ),
        "carol": BookFactory(
            title="A Christmas Carol",
            authors=["Charles Dickens"],
            year=None,
            language="",
            subjects=["Fiction"],
        ),
        "emma": BookFactory(
            title="Emma", authors=["Jane Austen"], year=1815, language="en", subjects=["Fiction"]
        ),
        "history": BookFactory(
            title="A History of England",
            authors=["Jane Austen", "Cassandra Austen"],
            year=1791,
            language="en",
            subjects=["History"],
        ),
    }
    for name in ("bleak", "emma", "history"):
        CopyFactory(book=books[name], status=CopyStatus.AVAILABLE)
    CopyFactory(book=books["dorrit"], status=CopyStatus.ON_LOAN)
    return books


def values(facet: list[dict]) -> list[tuple[str, int]]:
    return [(entry["value"], entry["count"]) for entry in facet]


def get_facets(client, **params) -> dict:
    response = client.get(BOOKS, params)
    assert response.status_code == 200, response.content
    return response.json()


# --- The API ------------------------------------------------------------------------------------


def test_every_facet_counts_all_the_matches_not_the_page(api_client, shelf):
    body = get_facets(api_client, facets=ALL, page_size=1)
    assert len(body["results"]) == 1
    assert list(body) == [
        "next",
        "previous",
        "results",
        "corrected_query",
        "facets",
        "facets_estimated",
    ]
    assert body["facets_estimated"] is False
    facets = body["facets"]
    assert list(facets) == ["author", "subject", "language", "decade", "available"]
    assert values(facets["author"]) == [
        ("Charles Dickens", 5),
        ("Jane Austen", 2),
        ("Cassandra Austen", 1),
    ]
    assert values(facets["subject"]) == [("Fiction", 6), ("History", 2), ("Law", 1)]
    assert values(facets["language"]) == [("en", 5), ("fr", 1)]  # no language: not counted
    assert values(facets["decade"]) == [
        ("1850", 3),
        ("1790", 1),
        ("1810", 1),
        ("1830", 1),
    ]
    assert values(facets["available"]) == [("true", 3), ("false", 4)]
    # Authors and subjects carry their ids too, which their filters take as well.
    dickens = shelf["bleak"].authors.get()
    assert facets["author"][0] == {"value": "Charles Dickens", "count": 5, "id": dickens.pk}


def test_without_facets_the_answer_keeps_its_shape(api_client, shelf):
    for params in ({}, {"facets": ""}, {"facets": " , "}):
        assert list(get_facets(api_client, **params)) == [
            "next",
            "previous",
            "results",
            "corrected_query",
        ]


def test_facets_follow_the_search_and_the_filters(api_client, shelf):
    body = get_facets(api_client, q="dickens", facets="subject,decade,available")
    assert list(body["facets"]) == ["subject", "decade", "available"]  # only those asked for
    assert values(body["facets"]["subject"]) == [("Fiction", 5), ("History", 1), ("Law", 1)]
    assert values(body["facets"]["available"]) == [("true", 1), ("false", 4)]

    body = get_facets(api_client, q="dickens", subject="History", facets="author,decade")
    assert [book["title"] for book in body["results"]] == ["A Tale of Two Cities"]
    assert values(body["facets"]["author"]) == [("Charles Dickens", 1)]
    assert values(body["facets"]["decade"]) == [("1850", 1)]

    body = get_facets(api_client, available="true", language="en", facets="author")
    assert values(body["facets"]["author"]) == [
        ("Jane Austen", 2),
        ("Cassandra Austen", 1),
        ("Charles Dickens", 1),
    ]
    body = get_facets(api_client, q="nothing matches this", facets=ALL)
    assert body["facets"] == {name: [] for name in FACET_NAMES}


def test_every_facet_value_is_a_filter_that_finds_its_count(api_client, shelf):
    facets = get_facets(api_client, q="a", facets=ALL)["facets"]
    for name, entries in facets.items():
        for entry in entries:
            for value in (entry["value"], entry.get("id")):
                if value is None:
                    continue
                found = get_facets(api_client, q="a", page_size=100, **{name: value})["results"]
                assert len(found) == entry["count"], (name, value)


def test_facets_name_at_most_ten_values_most_frequent_first(api_client):
    for n in range(12):
        for _ in range(1 + (n == 7)):
            BookFactory(subjects=[f"Subject {n:02d}"])
    subjects = get_facets(api_client, facets="subject")["facets"]["subject"]
    assert len(subjects) == 10
    assert values(subjects)[:3] == [("Subject 07", 2), ("Subject 00", 1), ("Subject 01", 1)]


@pytest.mark.parametrize("asked", ["authors", "subject,colour", "decade,,nope"])
def test_an_unknown_facet_is_a_400_naming_the_facets(api_client, shelf, asked):
    response = api_client.get(BOOKS, {"facets": asked})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_facet"
    assert "author, subject, language, decade, available" in error["fields"]["facets"][0]


def test_past_the_exact_limit_facets_are_estimated_over_the_first_matches(
    api_client, shelf, settings
):
    settings.CATALOG_FACETS_EXACT_LIMIT = 3
    body = get_facets(api_client, facets="author,available", page_size=100)
    assert body["facets_estimated"] is True
    assert len(body["results"]) == 7  # the page is whole: only the counting is bounded
    # Counted over the first three books by id: Bleak House, Little Dorrit, A Tale of Two Cities.
    assert values(body["facets"]["author"]) == [("Charles Dickens", 3)]
    assert values(body["facets"]["available"]) == [("true", 1), ("false", 2)]

    # Exactly at the limit is exact.
    body = get_facets(api_client, q="austen", facets="author")
    settings.CATALOG_FACETS_EXACT_LIMIT = 2
    assert get_facets(api_client, q="austen", facets="author") == body
    assert body["facets_estimated"] is False


def test_facets_cost_one_probe_and_one_query_each(api_client, shelf, django_assert_num_queries):
    # Without facets: the page, authors, subjects, circulation's holds (test_api_books).
    with django_assert_num_queries(5):
        api_client.get(BOOKS, {"q": "a"})
    # The probe (the sample's ids, languages and years), then authors, subjects, availability.
    with django_assert_num_queries(5 + 1 + 3) as context:
        api_client.get(BOOKS, {"q": "a", "facets": ALL, "subject": "Fiction"})
    facet_sql = [query["sql"] for query in context.captured_queries[-3:]]
    assert all("GROUP BY" in sql or "count(" in sql.lower() for sql in facet_sql)
    # The search runs once, in the probe: the facets read the ids it found.
    assert not any("search_vector" in sql or "catalog_book_fts" in sql for sql in facet_sql)
    with django_assert_num_queries(0):
        api_client.get(BOOKS, {"facets": "bad"})


def test_the_schema_documents_the_facets(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/books/"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "facets"]
    assert parameter["schema"]["items"]["enum"] == list(FACET_NAMES)
    assert parameter["explode"] is False
    decade = next(p for p in operation["parameters"] if p["name"] == "decade")
    assert decade["schema"]["type"] == "integer"
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in page:
        page = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert set(page["properties"]["facets"]["properties"]) == set(FACET_NAMES)
    assert page["properties"]["facets_estimated"]["type"] == "boolean"
    assert "facets" not in page.get("required", [])


# --- The decade filter --------------------------------------------------------------------------


def test_decade_filter_takes_the_ten_years_and_combines_with_the_search(api_client, shelf):
    def titles(**params) -> list[str]:
        return [book["title"] for book in get_facets(api_client, **params)["results"]]

    assert titles(decade=1850) == ["A Tale of Two Cities", "Bleak House", "Little Dorrit"]
    assert titles(decade=1850, q="little") == ["Little Dorrit"]
    assert titles(decade=1850, available="true") == ["Bleak House"]
    assert titles(decade=1860) == []


@pytest.mark.parametrize("decade", ["1995", "abc", "1e3", str(YEAR_MAX + 10), "-4000"])
def test_a_bad_decade_is_a_400(api_client, decade):
    response = api_client.get(BOOKS, {"decade": decade})
    assert response.status_code == 400
    assert "decade" in response.json()["error"]["fields"]


def test_bc_decades_count_and_filter_alike():
    for year in (-1, -10, -11, 0, 9):
        BookFactory(title=f"Year {year}", year=year)
    facets = book_facets(Book.objects.all(), ["decade"]).values
    assert values(facets["decade"]) == [("-10", 2), ("0", 2), ("-20", 1)]
    filterset = BookFilter({"decade": "-10"}, queryset=Book.objects.order_by("year"))
    assert filterset.is_valid(), filterset.errors
    assert [book.year for book in filterset.qs] == [-10, -1]


@pytest.mark.parametrize("year", [YEAR_MIN, -15, -1, 0, 1, 1995, YEAR_MAX])
def test_decade_of_and_decade_years_agree(year):
    first, last = decade_years(decade_of(year))
    assert first <= year <= last
    assert first % 10 == 0
    assert last - first == 9


def test_facet_names_are_checked_and_put_in_order():
    assert facet_names("available, author,author") == ["author", "available"]
    assert facet_names("") == []
    with pytest.raises(InvalidInput) as error:
        facet_names("x" * 10_000)
    assert len(error.value.message) < 200


def test_every_facet_is_a_filter_of_the_list():
    assert set(FACET_NAMES) <= set(BookFilter.base_filters)


def test_facets_read_the_sample_through_the_primary_key(shelf, settings):
    """Past the limit the sample is the first ids (ORDER BY the primary key, LIMIT N+1: the
    probe reads one more, to know there are more)."""
    settings.CATALOG_FACETS_EXACT_LIMIT = 2
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        found = book_facets(Book.objects.all(), ["language"])
    assert found.estimated is True
    assert values(found.values["language"]) == [("en", 2)]
    (probe,) = [query["sql"] for query in context.captured_queries]
    assert "LIMIT 3" in probe
    assert "ORDER BY 1 ASC" in probe  # the id, the first column
