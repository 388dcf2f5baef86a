"""The benchmark's pure helpers (the benchmark itself is ./scripts/bench, never run by tests)."""

import base64
import json

from bench import catalog_gen, suite
from catalog.isbn import try_normalize_isbn
from catalog.search import search_document


def test_same_seed_same_catalog_and_another_seed_another() -> None:
    first = catalog_gen.generate(300, seed=7)
    again = catalog_gen.generate(300, seed=7)
    other = catalog_gen.generate(300, seed=8)
    assert first.tables == again.tables
    assert (first.common_word, first.rare_word, first.sample_isbn) == (
        again.common_word,
        again.rare_word,
        again.sample_isbn,
    )
    assert first.tables["catalog_book"] != other.tables["catalog_book"]


def test_generated_rows_keep_the_schema_rules() -> None:
    catalog = catalog_gen.generate(400, seed=3)
    books = catalog.tables["catalog_book"]
    assert len(books) == 400
    columns = catalog_gen.COLUMNS
    for table, rows in catalog.tables.items():
        assert all(len(row) == len(columns[table]) for row in rows), table
    authors = {row[0]: row[1] for row in catalog.tables["catalog_author"]}
    assert len({name.lower() for name in authors.values()}) == len(authors)  # unique, any case
    links: dict[int, list[str]] = {}
    for book_id, author_id, _ in catalog.tables["catalog_bookauthor"]:
        links.setdefault(book_id, []).append(authors[author_id])
    assert {len(names) for names in links.values()} <= {1, 2, 3}
    assert len(links) == 400  # every book has an author
    for book_id, title, subtitle, isbn, *_, search_text, _, _ in books:
        assert title
        assert isbn is None or try_normalize_isbn(isbn) == isbn
        expected = search_document(
            title=title, subtitle=subtitle, isbn=isbn, author_names=links[book_id]
        )
        assert search_text == expected  # what an import would store
    copies = catalog.tables["catalog_copy"]
    on_loan = {row[0] for row in copies if row[5] == "on_loan"}
    open_loans = [row[1] for row in catalog.tables["circulation_loan"] if row[5] is None]
    assert sorted(open_loans) == sorted(on_loan)  # one open loan per copy on loan, no other
    assert {row[5] for row in copies} >= {"available", "on_loan"}


def test_title_words_are_skewed() -> None:
    catalog = catalog_gen.generate(2000, seed=1)
    titles = [row[1].lower().split() for row in catalog.tables["catalog_book"]]
    common = sum(catalog.common_word in words for words in titles)
    rare = sum(catalog.rare_word in words for words in titles)
    assert common > 50  # 4% of titles (a rank-6 word), against 1-3 for the rare one
    assert 1 <= rare <= 3


def test_hyphenated_isbn_reads_back_as_the_isbn() -> None:
    isbn = catalog_gen.isbn13(12345)
    assert catalog_gen.hyphenated(isbn).count("-") == 4
    assert try_normalize_isbn(catalog_gen.hyphenated(isbn)) == isbn


def test_keyset_cursor_is_shelfmarks_format() -> None:
    cursor = suite.keyset_cursor("Émile", 42)
    padded = cursor + "=" * (-len(cursor) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded)) == {"p": ["Émile", 42], "b": 0}


def test_misspell_and_percentile() -> None:
    assert suite.misspell("history") == "histroy"
    assert suite.percentile([5, 1, 4, 2, 3], 0.5) == 3
    assert suite.percentile([], 0.99) == 0.0


def test_parse_wrk() -> None:
    output = """Running 5s test @ http://127.0.0.1:8701/api/v1/books/
  Latency Distribution
     50%  21.50ms
     75%   30.00ms
     90%   40.00ms
     99%    1.20s
  1000 requests in 5.00s, 1.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    199.80
"""
    measure = suite.parse_wrk(output)
    assert (measure.rps, measure.p50_ms, measure.p99_ms, measure.errors) == (199.8, 21.5, 1200, 7)
