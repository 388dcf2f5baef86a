"""Behaviour that only PostgreSQL shows: real concurrency and the search indexes."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

from catalog import selectors, services
from catalog.models import Book, Copy, SearchWord
from catalog.tests.factories import BookFactory, CopyFactory
from shelfmark.errors import Conflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(function, count: int) -> list:
    """Run ``function`` in ``count`` threads released at the same moment; return outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list = []

    def worker():
        try:
            barrier.wait()
            outcomes.append(function())
        except Exception as error:  # the outcome is what is asserted
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_concurrent_creates_with_one_isbn_make_one_book():
    outcomes = run_concurrently(
        lambda: services.book_create(title="Race", isbn="9780306406157"), count=4
    )
    assert sum(isinstance(o, Book) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 3
    assert Book.objects.filter(isbn="9780306406157").count() == 1


def test_concurrent_copies_with_one_barcode_make_one_copy():
    book = BookFactory()
    outcomes = run_concurrently(lambda: services.copy_create(book=book, barcode="RACE-1"), count=4)
    assert sum(isinstance(o, Copy) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, Copy))


def test_concurrent_new_author_names_make_one_author():
    outcomes = run_concurrently(
        lambda: services.book_create(title="Shared", authors=["Brand New Writer"], isbn=None),
        count=4,
    )
    assert all(isinstance(o, Book) for o in outcomes), outcomes
    assert Book.objects.filter(authors__name="Brand New Writer").count() == 4


def _plan(sql: str, params: list[Any]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


def test_search_uses_the_tsvector_and_vocabulary_indexes():
    for n in range(50):
        BookFactory(title=f"Filler {n}")
    BookFactory(title="Needle in a haystack")
    found = selectors.book_search(Book.objects.all(), "haystack")
    sql, params = found.values("id").query.sql_with_params()
    assert "book_search_vector_idx" in _plan(sql, list(params))
    assert [book.title for book in found] == ["Needle in a haystack"]
    # A vocabulary big enough for the planner to prefer an index at all.
    SearchWord.objects.bulk_create(SearchWord(word=f"word{n:05}x", books=1) for n in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_searchword")
    assert "searchword_word_trgm_gist" in _plan(
        "SELECT word FROM catalog_searchword WHERE word %% %s", ["haystak"]
    )


def test_the_trigger_keeps_the_vector_current_on_every_write():
    book = BookFactory(title="Old Title", authors=["Ann Writer"], subjects=["Sea"])
    services.author_update(author=book.authors.get(), name="Bea Novelist")
    services.subject_update(subject=book.subjects.get(), name="Mountains")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM catalog_book WHERE id = %s", [book.pk])
        (vector,) = cursor.fetchone()
    assert "'novelist':4B" in vector
    assert "'mountains':5C" in vector
    assert "ann" not in vector
    assert "sea" not in vector


def test_concurrent_edits_of_different_fields_both_survive():
    book = BookFactory(subtitle="", year=1900)
    edits: Iterator[dict[str, Any]] = iter([{"subtitle": "A Novel"}, {"year": 1901}])
    lock = threading.Lock()

    def edit():
        with lock:
            change = next(edits)
        return services.book_update(book=book, **change)

    outcomes = run_concurrently(edit, count=2)
    assert all(isinstance(o, Book) for o in outcomes), outcomes
    book.refresh_from_db()
    assert (book.subtitle, book.year) == ("A Novel", 1901)


def test_names_equal_under_lower_are_one_author_not_a_500():
    # U+212A KELVIN SIGN lower-cases to "k": iexact (UPPER) and the constraint (LOWER) disagree.
    services.book_create(title="First", authors=["KX"])
    second = services.book_create(title="Second", authors=["\u212aX"])
    assert second.authors.get().name == "KX"
    other = services.author_create(name="Somebody")
    with pytest.raises(Conflict):
        services.author_update(author=other, name="\u212ax")


def test_deleting_a_book_while_a_copy_is_added_is_a_conflict_not_a_500():
    for attempt in range(5):
        book = BookFactory()
        calls = iter(
            [
                lambda book=book: services.book_delete(book=book),
                lambda book=book, n=attempt: services.copy_create(book=book, barcode=f"R{n}"),
            ]
        )
        lock = threading.Lock()

        def call(calls=calls, lock=lock):
            with lock:
                function = next(calls)
            return function()

        outcomes = run_concurrently(call, count=2)
        # One of them wins; the other is refused with a domain error (409), never a crash.
        assert all(o is None or isinstance(o, Copy | Conflict) for o in outcomes), outcomes
        assert sum(isinstance(o, Conflict) for o in outcomes) <= 1


def test_a_common_word_ranks_a_window_of_its_matches_and_every_exact_title(monkeypatch):
    """At a million books a common word matches tens of thousands: the search ranks the first
    RANK_WINDOW of them, and finds the exact titles through their own index wherever they are."""
    from catalog.search import postgresql

    monkeypatch.setattr(postgresql, "RANK_WINDOW", 3)
    for n in range(8):
        BookFactory(title=f"Volume {n}", subtitle="A history of the sea")
    exact = BookFactory(title="History")  # catalogued last: outside the window
    ranked = selectors.book_search(Book.objects.all(), "history")
    found = list(ranked.order_by(*selectors.BOOK_ORDERINGS["relevance"]))
    assert found[0] == exact
    assert len(found) == 3 + 1
    # Fewer matches than the window: every one, as before.
    monkeypatch.setattr(postgresql, "RANK_WINDOW", 50)
    assert selectors.book_search(Book.objects.all(), "history").count() == 9


def test_a_filtered_search_takes_its_window_from_the_filtered_books(api_client, monkeypatch):
    """The window is the first matches among the books the other filters keep: a full window
    of other books cannot hide the one a subject, an author or a language asks for."""
    from catalog.search import postgresql

    monkeypatch.setattr(postgresql, "RANK_WINDOW", 3)
    for n in range(6):
        BookFactory(title=f"Sea story {n}", subjects=["Voyages"], language="en")
    late = BookFactory(title="Last sea story", subjects=["Lighthouses"], language="fr")
    CopyFactory(book=late)  # the only one on the shelf
    for params in ({"subject": "Lighthouses"}, {"language": "fr"}, {"available": "true"}):
        answer = api_client.get("/api/v1/books/", {"q": "sea", **params}).json()
        found = [book["id"] for book in answer["results"]]
        assert late.id in found, params
    answer = api_client.get("/api/v1/books/", {"q": "sea", "subject": "Lighthouses"}).json()
    assert [book["id"] for book in answer["results"]] == [late.id]


def test_facets_of_a_full_window_are_estimates(api_client, monkeypatch):
    from catalog.search import postgresql

    monkeypatch.setattr(postgresql, "RANK_WINDOW", 3)
    for n in range(6):
        BookFactory(title=f"Sea story {n}", subjects=["Sea"])
    answer = api_client.get("/api/v1/books/", {"q": "sea", "facets": "subject"}).json()
    assert answer["facets_estimated"] is True
    assert answer["facets"]["subject"] == [
        {"value": "Sea", "count": 3, "id": answer["facets"]["subject"][0]["id"]}
    ]
    monkeypatch.setattr(postgresql, "RANK_WINDOW", 50)
    answer = api_client.get("/api/v1/books/", {"q": "sea", "facets": "subject"}).json()
    assert answer["facets_estimated"] is False
    assert answer["facets"]["subject"][0]["count"] == 6
