"""Catalog search: ranked, whole-word, typo-tolerant, the same on PostgreSQL and SQLite.

The website and the API search through one selector (``catalog.selectors.book_search``), which
calls :func:`search_books`. What a query means:

- Its words are folded (case and accents ignored: "bronte" finds Brontë) and match whole words
  of the title, subtitle, author names, subjects, description or ISBNs; the last word also
  matches the words it begins ("harr" finds Harry), as a patron types.
- Every word must match, except stop words ("the", "of"…), which are optional unless the query
  has nothing else. Word order is free.
- A query that is a whole valid ISBN, typed any way, finds that book through the ISBN index.
- Results are ranked: title words weigh most, then subtitle and authors, then subjects and the
  description; an exact title, then a title of exactly the query's words in any order (stop
  words aside), then an exact author name, comes first; ties by title, then id.
- A word that matches nothing, or far fewer books than a word spelt almost the same, is matched
  as that word too (catalog.search.spelling), and the answer says so (``corrected_query``);
  ``literal=True`` turns this off.

The text side (folding, the search document, query terms) is ``catalog.search.text``; each
database has a backend module (``postgresql``, ``sqlite``) with the same three functions:
``matching(books, terms, phrases, keys)``, ``every_match(books, terms)`` and
``candidates(words)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django.db import connections
from django.db.models import BigIntegerField, QuerySet, Value

from catalog.search import postgresql, spelling, sqlite
from catalog.search.ranking import EXACT_TITLE_BOOST
from catalog.search.text import (
    MAX_QUERY_WORDS,
    document_words,
    fold,
    isbn_of_query,
    query_phrase,
    query_terms,
    required_terms,
    search_document,
    words_key,
)

__all__ = [
    "MAX_QUERY_WORDS",
    "BookSearch",
    "backend_for",
    "document_words",
    "every_book_matching",
    "fold",
    "search_books",
    "search_document",
]

# An ISBN query's book ranks like an exact title (there is one book at most).
ISBN_RELEVANCE = EXACT_TITLE_BOOST


@dataclass(frozen=True)
class BookSearch:
    """The books a query finds, annotated with ``relevance`` (an integer, higher first), and
    the query as corrected when a word's spelling was corrected (None otherwise)."""

    books: QuerySet
    corrected_query: str | None = None
    # At most this many matches are ranked (and found) beside the exact titles: a bound of the
    # backend's (postgresql.RANK_WINDOW), None where every match is (SQLite).
    window: int | None = None


def backend_for(using: str) -> ModuleType:
    return postgresql if connections[using].vendor == "postgresql" else sqlite


def search_books(books: QuerySet, query: str, *, literal: bool = False) -> BookSearch:
    """Books of ``books`` matching ``query`` (the module docstring), with their relevance. A
    blank query keeps every book, each with relevance 0."""
    query = query.strip()
    if not query:
        return BookSearch(books.annotate(relevance=Value(0, BigIntegerField())))
    if isbn := isbn_of_query(query):
        return BookSearch(
            books.filter(isbn=isbn).annotate(relevance=Value(ISBN_RELEVANCE, BigIntegerField()))
        )
    terms = query_terms(query)
    if not terms:  # punctuation only: no word to match
        return BookSearch(books.none().annotate(relevance=Value(0, BigIntegerField())))
    backend = backend_for(books.db)
    if not literal:
        terms = spelling.corrected(terms, candidates=backend.candidates, using=books.db)
    phrases = list(dict.fromkeys([query_phrase(terms), query_phrase(terms, corrected=True)]))
    keys = list(dict.fromkeys(words_key(phrase.split()) for phrase in phrases))
    found = backend.matching(books, required_terms(terms), phrases, keys)
    fixed = any(term.alternatives for term in terms)
    return BookSearch(
        found, query_phrase(terms, corrected=True) if fixed else None, window=backend.RANK_WINDOW
    )


def every_book_matching(books: QuerySet, query: str) -> QuerySet:
    """Every book of ``books`` that ``query`` finds, as written (no spelling corrections),
    unranked: the same words as ``search_books`` matches, with no window on PostgreSQL, for a
    caller that needs them all rather than the best first (SRU's count and its pages)."""
    query = query.strip()
    if isbn := isbn_of_query(query):
        return books.filter(isbn=isbn)
    terms = required_terms(query_terms(query))
    if not terms:  # blank, or punctuation only: no word to match
        return books.none()
    return backend_for(books.db).every_match(books, terms)
