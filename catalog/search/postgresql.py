"""Search on PostgreSQL: a weighted tsvector and a trigram index on the spelling vocabulary.

``catalog_book.search_vector`` is a stored tsvector, GIN-indexed, that a trigger recomputes from
``search_text`` whenever a row is inserted or its search text changes (migration 0011): the
services, the admin (through them), the import's COPY and author and subject renames all write
``search_text``, so none of them can forget the vector. It is built with the ``simple``
configuration (no stemming, no stop words) over our folded words; each section gets its weight:
title A, subtitle and authors B, subjects and description C, ISBNs D (the title key, the sixth
section, is not searched: catalog.search.text). The ORM never reads the
column (it is not a model field): only these expressions name it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import BigIntegerField, BooleanField, QuerySet

from catalog.search.expressions import BookSQL
from catalog.search.ranking import (
    EXACT_AUTHOR_BOOST,
    EXACT_TITLE_BOOST,
    TITLE_WORDS_BOOST,
)
from catalog.search.ranking import (
    POSTGRESQL_RANK_SCALE as RANK_SCALE,
)
from catalog.search.text import Term, boolean_query

CANDIDATES = 20
# A search ranks at most this many of its matches, and as many of the books whose title is the
# query (or its words in another order): ranking reads each ranked book's row, and a common word
# at a million books matches 50,000 of them (1.8 s a search, measured). The window is the first
# matches the index gives (in the table's physical order, about the order books were catalogued)
# and the exact titles by id, through their own indexes (migration 0015), wherever they are. A
# search with fewer matches ranks them all, exactly as before. SQLite ranks every match.
RANK_WINDOW = 2_000


def _tsquery(terms: Sequence[Term]) -> str:
    """to_tsquery text: each term's spellings OR-ed, the terms AND-ed."""
    return boolean_query(terms, quote="'", prefix=":*", either="|", both="&")


def matching(
    books: QuerySet, terms: Sequence[Term], phrases: Sequence[str], keys: Sequence[str]
) -> QuerySet:
    query = _tsquery(terms)
    matches = _matches(terms)
    # Only constants and placeholders are formatted in; every value is a parameter.
    relevance = BookSQL(
        "(ts_rank_cd({book}.search_vector, to_tsquery('simple', %s))"  # noqa: S608
        f" * {RANK_SCALE})::bigint"
        f" + CASE WHEN split_part({{book}}.search_text, chr(31), 1) = ANY(%s)"
        f" THEN {EXACT_TITLE_BOOST} ELSE 0 END"
        f" + CASE WHEN split_part({{book}}.search_text, chr(31), 6) = ANY(%s)"
        f" THEN {TITLE_WORDS_BOOST} ELSE 0 END"
        " + CASE WHEN EXISTS (SELECT 1 FROM unnest(%s::text[]) AS typed (phrase)"
        " WHERE strpos(chr(30) || split_part({book}.search_text, chr(31), 3) || chr(30),"
        f" chr(30) || typed.phrase || chr(30)) > 0) THEN {EXACT_AUTHOR_BOOST} ELSE 0 END",
        [query, list(phrases), list(keys), list(phrases)],
        output_field=BigIntegerField(),
    )
    # The window's ids: the first RANK_WINDOW matches (a LIMIT stops the heap scan early), and
    # the first RANK_WINDOW exact titles through the indexes on their sections (no exact-author
    # index: exact authors are boosted within the window). Each is taken from ``books`` as the
    # caller filtered it (catalog.filters applies the search last), so a window full of other
    # subjects' books cannot hide the one the filters ask for.
    found = books.filter(matches)
    window = _first(found, ordered=False).union(
        _first(books.filter(_section_in(1, phrases))),
        _first(books.filter(_section_in(6, keys))),
    )
    return found.filter(id__in=window).annotate(relevance=relevance)


def every_match(books: QuerySet, terms: Sequence[Term]) -> QuerySet:
    """Every book of ``books`` matching ``terms``, unranked and without the window: for a
    caller that needs them all (how many there are, each one), not the best first."""
    return books.filter(_matches(terms))


def _matches(terms: Sequence[Term]) -> BookSQL:
    return BookSQL(
        "{book}.search_vector @@ to_tsquery('simple', %s)",
        [_tsquery(terms)],
        output_field=BooleanField(),
    )


def _section_in(section: int, values: Sequence[str]) -> BookSQL:
    """The search text's section ``section`` is one of ``values`` (catalog.search.text; the
    sections 1 and 6 are indexed, with the id: migration 0015)."""
    return BookSQL(
        f"split_part({{book}}.search_text, chr(31), {section:d}) = ANY(%s)",
        [list(values)],
        output_field=BooleanField(),
    )


def _first(books: QuerySet, *, ordered: bool = True) -> QuerySet:
    """The ids of the first RANK_WINDOW of ``books``: by id, or, unordered, as the index gives
    them (no sort of every match before the LIMIT)."""
    return (books.order_by("id") if ordered else books.order_by()).values("id")[:RANK_WINDOW]


def candidates(words: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """Vocabulary words like each of ``words`` (pg_trgm's ``%``, served by the GiST trigram
    index), the most similar first: one statement for them all."""
    found: dict[str, list[tuple[str, int]]] = {word: [] for word in words}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT typed.word, near.word, near.books FROM unnest(%s::text[]) AS typed (word)"
            " CROSS JOIN LATERAL (SELECT s.word, s.books FROM catalog_searchword AS s"
            " WHERE s.word %% typed.word AND s.books > 0"
            " ORDER BY similarity(s.word, typed.word) DESC, s.books DESC, s.word LIMIT %s)"
            " AS near",
            [list(words), CANDIDATES],
        )
        for typed, word, books in cursor.fetchall():
            found[typed].append((word, books))
    return found
