"""Search quality on a small fixed catalog: for each query, the books that must come in the
first three (or first), on whichever database the tests run on (SQLite and PostgreSQL).

The catalog mixes the cases the issue names: exact titles among longer ones ("the secret
garden"), authors with near-namesakes (Dickens and Dickinson, Gardner and garden), accents
(García Márquez, Brontë), typos, prefixes as typed, stop words and ISBNs.
"""

from __future__ import annotations

import pytest

from catalog.tests.factories import BookFactory
from shelfmark.testing.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db

BOOKS = "/api/v1/books/"

CATALOG = [
    # (title, subtitle, authors, subjects, isbn)
    ("The Secret Garden", "", ["Frances Hodgson Burnett"], ["Children's fiction"], None),
    ("The Secret Garden Cookbook", "", ["Amy Cotler"], ["Cooking"], None),
    ("The Garden Party", "and Other Stories", ["Katherine Mansfield"], ["Short stories"], None),
    ("Tom's Midnight Garden", "", ["Philippa Pearce"], ["Children's fiction"], None),
    ("The Secret History", "", ["Donna Tartt"], ["Fiction"], None),
    ("Gardner's Art Through the Ages", "", ["Helen Gardner"], ["Art"], None),
    ("History", "", ["Elsa Morante"], ["Fiction"], None),
    ("A History of the World in 100 Objects", "", ["Neil MacGregor"], ["History"], None),
    ("The History of Tom Jones", "a Foundling", ["Henry Fielding"], ["Fiction"], None),
    ("Sapiens", "A Brief History of Humankind", ["Yuval Noah Harari"], ["History"], None),
    ("Pride and Prejudice", "", ["Jane Austen"], ["Romance"], "9780141439518"),
    ("Pride and Prejudice and Zombies", "", ["Seth Grahame-Smith", "Jane Austen"], [], None),
    ("Emma", "", ["Jane Austen"], ["Romance"], None),
    ("Great Expectations", "", ["Charles Dickens"], ["Fiction"], None),
    ("Oliver Twist", "", ["Charles Dickens"], ["Fiction"], None),
    ("A Tale of Two Cities", "", ["Charles Dickens"], ["Historical fiction"], None),
    ("The Complete Poems", "", ["Emily Dickinson"], ["Poetry"], None),
    ("The Hobbit", "or There and Back Again", ["J. R. R. Tolkien"], ["Fantasy"], None),
    ("The Lord of the Rings", "", ["J. R. R. Tolkien"], ["Fantasy"], None),
    ("Crime and Punishment", "", ["Fyodor Dostoyevsky"], ["Fiction"], None),
    ("One Hundred Years of Solitude", "", ["Gabriel García Márquez"], ["Fiction"], None),
    ("Jane Eyre", "", ["Charlotte Brontë"], ["Fiction"], None),
    ("Wuthering Heights", "", ["Emily Brontë"], ["Fiction"], None),
    ("Harry Potter and the Philosopher's Stone", "", ["J. K. Rowling"], ["Fantasy"], None),
    ("Harry Potter and the Chamber of Secrets", "", ["J. K. Rowling"], ["Fantasy"], None),
    ("War and Peace", "", ["Leo Tolstoy"], ["Historical fiction"], None),
    ("Edward II", "", ["Christopher Marlowe"], ["Drama"], None),
    ("It", "", ["Stephen King"], ["Horror"], None),
]


@pytest.fixture(scope="module")
def shelf(django_db_setup, django_db_blocker):
    """The catalog, made once for the module's tests (each runs in a savepoint of it)."""
    with rows_for_the_module(django_db_blocker):
        for title, subtitle, authors, subjects, isbn in CATALOG:
            BookFactory(
                title=title, subtitle=subtitle, authors=authors, subjects=subjects, isbn=isbn or ""
            )
        yield


def search(api_client, query: str, **params: str) -> dict:
    response = api_client.get(BOOKS, {"q": query, **params})
    assert response.status_code == 200, response.content
    return response.json()


def found(api_client, query: str) -> list[str]:
    return [book["title"] for book in search(api_client, query)["results"]]


# (query, a title that must come first)
FIRST = [
    ("the secret garden", "The Secret Garden"),
    ("secret garden", "The Secret Garden"),
    ("garden secret the", "The Secret Garden"),  # word order is free
    ("pride and prejudice", "Pride and Prejudice"),
    ("pride and prejudce", "Pride and Prejudice"),  # typo
    ("history", "History"),  # the exact title before the many that contain the word
    ("war peace", "War and Peace"),
    ("emily dickinson", "The Complete Poems"),
    ("emily bronte", "Wuthering Heights"),
    ("war and peace", "War and Peace"),
    ("it", "It"),  # nothing but a stop word: still required
    ("978-0-14-143951-8", "Pride and Prejudice"),  # ISBN with hyphens
    ("0141439513", "Pride and Prejudice"),  # as ISBN-10
]

# (query, titles at least one of which must be among the first three)
ANY_IN_TOP_3 = [
    ("charles dickens", ["A Tale of Two Cities", "Great Expectations", "Oliver Twist"]),
    ("gardn", ["The Secret Garden", "The Garden Party", "Tom's Midnight Garden"]),
    ("dickins", ["A Tale of Two Cities", "Great Expectations", "Oliver Twist"]),
]

# (query, titles that must all be among the first three)
TOP_3 = [
    ("histroy", ["History"]),
    ("histry", ["History"]),
    ("tolkein", ["The Hobbit", "The Lord of the Rings"]),
    ("dostoyevski", ["Crime and Punishment"]),
    ("garcia marquez", ["One Hundred Years of Solitude"]),
    ("García Márquez", ["One Hundred Years of Solitude"]),
    ("GARCÍA", ["One Hundred Years of Solitude"]),
    ("bronte", ["Jane Eyre", "Wuthering Heights"]),
    ("Brontë eyre", ["Jane Eyre"]),
    ("harr", ["Harry Potter and the Chamber of Secrets"]),  # a prefix, as typed
    ("harry pot", ["Harry Potter and the Philosopher's Stone"]),
    ("potter harry", ["Harry Potter and the Chamber of Secrets"]),
    ("rowling", ["Harry Potter and the Philosopher's Stone"]),
    ("tolkien hobbit", ["The Hobbit"]),
    ("austen", ["Emma", "Pride and Prejudice"]),
]


@pytest.mark.parametrize(("query", "title"), FIRST)
def test_the_expected_book_comes_first(api_client, shelf, query, title):
    assert found(api_client, query)[:1] == [title]


@pytest.mark.parametrize(("query", "titles"), TOP_3)
def test_the_expected_books_are_in_the_first_three(api_client, shelf, query, titles):
    first_three = found(api_client, query)[:3]
    assert set(titles) <= set(first_three), first_three


@pytest.mark.parametrize(("query", "titles"), ANY_IN_TOP_3)
def test_one_of_the_expected_books_is_in_the_first_three(api_client, shelf, query, titles):
    # "dickins" must find Dickens, not only Emily Dickinson; "gardn" the garden, not only
    # Helen Gardner.
    first_three = found(api_client, query)[:3]
    assert set(titles) & set(first_three), first_three


@pytest.mark.parametrize(
    ("query", "corrected"),
    [
        ("histroy", "history"),
        ("histry", "history"),
        ("pride and prejudce", "pride and prejudice"),
        ("dickins", "dickens"),
        ("tolkein", "tolkien"),
        ("dostoyevski", "dostoyevsky"),
        ("gardn", "garden"),
        # Found as typed: nothing corrected.
        ("history", None),
        ("harr", None),
        ("dickens", None),
        ("pride and prejudice", None),
        ("zzqqxx", None),
    ],
)
def test_the_answer_says_which_words_were_corrected(api_client, shelf, query, corrected):
    assert search(api_client, query)["corrected_query"] == corrected


def test_literal_search_makes_no_correction(api_client, shelf):
    answer = search(api_client, "histroy", literal="1")
    assert answer["results"] == []
    assert answer["corrected_query"] is None


def test_whole_words_only_and_stop_words_optional(api_client, shelf):
    assert "Edward II" not in found(api_client, "war")  # not inside "Edward"
    assert found(api_client, "war")[:1] == ["War and Peace"]
    # "the" and "of" are not required: "The Secret Garden" has no "of".
    assert "The Secret Garden" in found(api_client, "the secret of garden")
    assert found(api_client, "zzqqxx") == []


def test_a_list_without_search_keeps_the_title_order_and_has_no_correction(api_client, shelf):
    answer = api_client.get(BOOKS, {"page_size": 3}).json()
    assert [book["title"] for book in answer["results"]] == [
        "A History of the World in 100 Objects",
        "A Tale of Two Cities",
        "Crime and Punishment",
    ]
    assert answer["corrected_query"] is None


def test_ranked_pages_follow_on_without_repeats(api_client, shelf):
    everything = found(api_client, "history")
    seen = []
    answer = search(api_client, "history", page_size="2")
    while True:
        seen += [book["title"] for book in answer["results"]]
        if not answer["next"]:
            break
        answer = api_client.get(answer["next"]).json()
    assert seen == everything
    assert len(everything) >= 5  # titles, subtitles and subjects


def test_reversed_relevance_pages_follow_on_too(api_client, shelf):
    ranked = found(api_client, "history")
    seen = []
    answer = search(api_client, "history", page_size="2", ordering="-relevance")
    while True:
        seen += [book["title"] for book in answer["results"]]
        if not answer["next"]:
            break
        answer = api_client.get(answer["next"]).json()
    assert seen[-1] == "History"  # the best match last
    assert sorted(seen) == sorted(ranked)


def test_the_catalog_page_shows_the_correction_and_links_to_the_literal_search(client, shelf):
    page = client.get("/", {"q": "histroy"}).content.decode()
    assert "Showing results for <strong>history</strong>" in page
    assert 'href="/?q=histroy&amp;literal=1"' in page
    assert "A History of the World in 100 Objects" in page
    literal = client.get("/", {"q": "histroy", "literal": "1"}).content.decode()
    assert "Showing results for" not in literal
    assert "No books match" in literal


@pytest.mark.parametrize("page_size", [1, 10, 50])
@pytest.mark.parametrize("query", ["history", "histroy", "pride and prejudce", "harr"])
def test_search_query_count_is_fixed_whatever_the_page_size(
    api_client, shelf, django_assert_max_num_queries, query, page_size
):
    # Spelling: the typed words' counts (the last word's completions apart) and the near words,
    # three statements at most; then the page, its authors and subjects, circulation's holds.
    with django_assert_max_num_queries(8):
        answer = search(api_client, query, page_size=str(page_size))
    assert answer["results"]


@pytest.mark.parametrize("page_size", [1, 25])
def test_catalog_page_search_query_count_is_fixed_whatever_the_page_size(
    client, shelf, django_assert_max_num_queries, page_size
):
    # As the API: spelling (three at most), the page, authors, subjects, circulation's holds;
    # and the facets beside a search: their probe and one query for each of the five.
    with django_assert_max_num_queries(13):
        page = client.get("/", {"q": "histroy", "page_size": page_size}).content.decode()
    assert "Showing results for" in page
