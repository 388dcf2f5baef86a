"""Matching: which incoming books the catalog has already, and which it may have.

Two different books are never merged on a guess:

- With an ISBN on both sides, the ISBN decides: the same ISBN is the same book, two ISBNs are
  two books (other editions), whatever their titles.
- Without an ISBN on either side, a book is the same only when its title, subtitle and every
  author agree (authors in any order: exporters list co-authors in different orders), and its
  year and publisher too where both sides have one. Text is compared normalised
  (``match_text``): capitals, accents, runs of spaces and trailing punctuation make no
  difference.
- Anything less is a *possible duplicate*: the same title and a shared author (or no authors on
  one side) but another subtitle, another author, year or publisher, or an ISBN on one side
  only. The incoming book is added as a book of its own, and the import reports the one it may
  duplicate, for a librarian to judge.

The catalog's candidates are found by their title in any capitals (``book_title_lower_idx``),
in a fixed number of queries per batch; the rest is compared here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, NamedTuple, TypeVar

from django.db.models import F
from django.utils.translation import gettext as _

from catalog.models import Book, BookAuthor
from catalog.search import fold
from catalog.services.bulk.lookups import one_of, same_text

# ISBD's punctuation between a field and the next (" :", " /", " ;", " =", ".", ","), which one
# file keeps at the end of a title and another drops.
_TRAILING_PUNCTUATION = " .,:;/="


def match_text(text: str) -> str:
    """``text`` as matching compares it: folded like the search (case and accents ignored),
    runs of spaces squashed, trailing punctuation stripped."""
    return " ".join(fold(text).split()).rstrip(_TRAILING_PUNCTUATION)


class MatchKey(NamedTuple):
    """What matching compares of a book (normalised: ``match_text``)."""

    isbn: str | None
    title: str
    subtitle: str
    authors: tuple[str, ...]  # each once, sorted: their order makes no difference
    year: int | None
    publisher: str

    @classmethod
    def of(
        cls,
        *,
        isbn: str | None,
        title: str,
        subtitle: str,
        authors: Iterable[str],
        year: int | None,
        publisher: str,
    ) -> MatchKey:
        return cls(
            isbn or None,
            match_text(title),
            match_text(subtitle),
            tuple(sorted({match_text(name) for name in authors})),
            year,
            match_text(publisher),
        )


def _agree(a: Any, b: Any) -> bool:
    """Equal, or missing on one side."""
    return not a or not b or a == b


def same_book(a: MatchKey, b: MatchKey) -> bool:
    """Whether ``a`` and ``b`` are one book (the module docstring says when)."""
    if a.isbn or b.isbn:
        return a.isbn == b.isbn
    return (
        a.title == b.title
        and a.subtitle == b.subtitle
        and a.authors == b.authors
        and _agree(a.year, b.year)
        and _agree(a.publisher, b.publisher)
    )


def possible_duplicate(a: MatchKey, b: MatchKey) -> bool:
    """Whether ``a`` and ``b``, which are not the same book, may be: the same title and a shared
    author (or no authors on one side), unless both have ISBNs (then they are other editions)."""
    if a.isbn and b.isbn:
        return False
    shared = not a.authors or not b.authors or bool(set(a.authors) & set(b.authors))
    return a.title == b.title and shared and not same_book(a, b)


T = TypeVar("T")


class KeyIndex(Generic[T]):
    """Books by their ``MatchKey``: which one an incoming book is, else which it may duplicate.
    The first book added under a key is the one found."""

    def __init__(self) -> None:
        self._by_isbn: dict[str, T] = {}
        self._by_title: dict[str, list[tuple[MatchKey, T]]] = {}

    def add(self, key: MatchKey, value: T) -> None:
        if key.isbn:
            self._by_isbn.setdefault(key.isbn, value)
        if key.title:  # a key of an ISBN alone (``catalog_books``) is found by that only
            self._by_title.setdefault(key.title, []).append((key, value))

    def find(self, key: MatchKey) -> tuple[T | None, list[T]]:
        """The book that ``key`` is, else None and the books it may duplicate."""
        if key.isbn and key.isbn in self._by_isbn:
            return self._by_isbn[key.isbn], []
        near: list[T] = []
        for other, value in self._by_title.get(key.title, ()):
            if same_book(key, other):
                return value, []
            if possible_duplicate(key, other):
                near.append(value)
        return None, near


class Found(NamedTuple):
    """A book of the catalog's that an item matched or may duplicate (no model instance: a
    batch matches thousands)."""

    pk: int
    title: str
    subtitle: str

    def described(self) -> str:
        """For a report: "book 12: Perl : the complete reference"."""
        title = f"{self.title} : {self.subtitle}" if self.subtitle else self.title
        return _("book %(id)s: %(title)s") % {"id": self.pk, "title": title}


def _title_variants(title: str) -> set[str]:
    # The title as given, and without trailing punctuation: "Perl." finds a stored "Perl".
    return {title, title.rstrip(_TRAILING_PUNCTUATION) or title}


def catalog_books(keys: list[MatchKey], titles: Iterable[str]) -> KeyIndex[Found]:
    """The catalog's books that the batch's items (their ``keys``; ``titles`` as cleaned) may
    be: by ISBN, and by title in any capitals. Three queries, whatever the batch's size."""
    index: KeyIndex[Found] = KeyIndex()
    isbns = {key.isbn for key in keys if key.isbn}
    for pk, isbn, title, subtitle in Book.objects.filter(one_of(F("isbn"), isbns)).values_list(
        "pk", "isbn", "title", "subtitle"
    ):
        index.add(MatchKey(isbn, "", "", (), None, ""), Found(pk, title, subtitle))
    wanted = set().union(*(_title_variants(title) for title in titles))
    candidates = list(
        Book.objects.filter(same_text("title", wanted))
        .order_by("pk")
        .values_list("pk", "isbn", "title", "subtitle", "year", "publisher")
    )
    authors: dict[int, list[str]] = {}
    for book_id, name in BookAuthor.objects.filter(
        one_of(F("book_id"), [row[0] for row in candidates])
    ).values_list("book_id", "author__name"):
        authors.setdefault(book_id, []).append(name)
    for pk, isbn, title, subtitle, year, publisher in candidates:
        key = MatchKey.of(
            isbn=isbn,
            title=title,
            subtitle=subtitle,
            authors=authors.get(pk, ()),
            year=year,
            publisher=publisher,
        )
        index.add(key, Found(pk, title, subtitle))
    return index
