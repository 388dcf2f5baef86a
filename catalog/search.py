"""Catalog search: one folded text column per book, matched word by word.

The same matching serves the website and the API: every word of the query must appear in the
book's title, subtitle, author names or ISBN (ISBN-10 or ISBN-13). Case and accents are ignored,
so "bronte" finds Brontë. A query that is a whole valid ISBN, typed any way, finds that book
through the unique ISBN index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.isbn import isbn10_or_none, try_normalize_isbn

_ISBN_LIKE = re.compile(r"^[0-9][0-9xX\- ]*$")
MAX_QUERY_WORDS = 8  # more words only make the query slower, never the answer better


def fold(text: str) -> str:
    """Lower-case, accent-free form of ``text`` for matching."""
    if text.isascii():
        # No accents, no format characters, and casefold() is lower() (a bulk import folds
        # thousands of titles a second, nearly all plain ASCII).
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Accents and invisible format characters (a zero-width joiner inside a word) go.
    return "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )


def search_document(
    *, title: str, subtitle: str, isbn: str | None, author_names: Iterable[str]
) -> str:
    parts = [title, subtitle, *author_names]
    if isbn:
        parts += [isbn, isbn10_or_none(isbn) or ""]
    return fold(" ".join(p for p in parts if p))


def query_words(query: str) -> list[str]:
    words = []
    for word in query.split()[:MAX_QUERY_WORDS]:
        # A piece of an ISBN typed with hyphens ("978-0-14") matches the stored digits.
        if _ISBN_LIKE.match(word):
            word = word.replace("-", "")
        if word:
            words.append(fold(word))
    return words


def filter_by_query(books: QuerySet, query: str) -> QuerySet:
    """Books matching ``query`` (see the module docstring); all books for a blank query."""
    query = query.strip()
    if not query:
        return books
    if _ISBN_LIKE.match(query) and (isbn13 := try_normalize_isbn(query)):
        return books.filter(isbn=isbn13)
    for word in query_words(query):
        books = books.filter(search_text__contains=word)
    return books
