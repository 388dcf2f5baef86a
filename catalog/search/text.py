"""The text side of search, with no database: folding, a book's search document, a query's terms.

Both database backends index the same document (``Book.search_text``), built here from folded
words, so folding stays ours whatever the database does with text: the PostgreSQL parser and
SQLite's unicode61 tokenizer only ever see lower-case, accent-free words separated by spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from catalog.isbn import isbn10_or_none, try_normalize_isbn

_ISBN_LIKE = re.compile(r"^[0-9][0-9xX\- ]*$")
# A word: letters and digits (any script). Underscores and punctuation separate words, as they
# do for both databases' tokenizers.
_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS = 8  # more words only make the query slower, never the answer better

# The document's sections, in this order, joined by SECTION (a control character no cleaned
# text holds). Each backend weighs them: the title most, then subtitle and authors, then
# subjects and description; ISBNs least (a whole ISBN goes straight to its book anyway). The
# last, the title's key (title_key), is not searched: it tells a title made of exactly the
# query's words ("secret garden", "garden secret" for "The Secret Garden").
SECTION = "\x1f"
# Between the author names in their section, so that an exact author name can be recognised.
NAME_SEPARATOR = "\x1e"
SECTIONS = ("title", "subtitle", "authors", "about", "isbn", "title_key")
SEARCHED_SECTIONS = 5  # the first five; the title key is for ranking only

# Words that say little about a book. A query's stop words are not required to match (unless
# the query holds nothing else: "The Who"); an exact title still ranks first ("the secret
# garden"). English, and the articles of the languages libraries meet most.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "de",
        "des",
        "du",
        "el",
        "la",
        "las",
        "le",
        "les",
        "los",
        "der",
        "die",
        "das",
        "den",
        "und",
    ]
)
# Words the spelling vocabulary keeps (and corrects): at least this long, with a letter.
MIN_VOCABULARY_WORD = 3
MAX_VOCABULARY_WORD = 100  # SearchWord.word's length


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


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


def phrase(text: str) -> str:
    """``text`` as its folded words joined by single spaces: what exact matches compare."""
    return " ".join(words(text))


def search_document(
    *,
    title: str,
    subtitle: str,
    isbn: str | None,
    author_names: Iterable[str],
    subject_names: Iterable[str] = (),
    description: str = "",
) -> str:
    """The text a book is found by (``Book.search_text``): its sections (``SECTIONS``) joined
    by ``SECTION``, each the folded words of its fields."""
    isbns = [isbn, isbn10_or_none(isbn) or ""] if isbn else []
    sections = (
        phrase(title),
        phrase(subtitle),
        NAME_SEPARATOR.join(phrase(name) for name in author_names),
        # Sorted: the same text whichever way the book came in (an import gives the file's
        # order, a form the catalog's).
        phrase(" ".join([*sorted(subject_names), description])),
        " ".join(number.lower() for number in isbns if number),
        words_key(words(title)),
    )
    return SECTION.join(sections)


def words_key(found: Iterable[str]) -> str:
    """The distinct words, stop words left out (unless there is nothing else), sorted: equal
    for a title and a query made of the same words in any order."""
    distinct = set(found)
    return " ".join(sorted(distinct - STOP_WORDS or distinct))


def document_words(document: str) -> set[str]:
    """The words of a search document that the spelling vocabulary counts (ISBNs and numbers,
    stop words and very short words are never corrected, so it does not hold them)."""
    # The words of the title to the description: not the ISBNs, nor the title key (a repeat).
    text = " ".join(document.split(SECTION)[: SECTIONS.index("isbn")])
    return {
        word
        for word in _WORD.findall(text)
        if MIN_VOCABULARY_WORD <= len(word) <= MAX_VOCABULARY_WORD
        and not any(ch.isdigit() for ch in word)
        and word not in STOP_WORDS
    }


@dataclass(frozen=True)
class Term:
    """A word of a query. ``prefix``: the last word, which may still be being typed, matches
    every word it begins. ``alternatives``: spelling corrections, matched as well (never
    instead: a correction can only add books)."""

    word: str
    prefix: bool = False
    stop: bool = False
    alternatives: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.word, *self.alternatives)


def boolean_query(terms: Sequence[Term], *, quote: str, prefix: str, either: str, both: str) -> str:
    """A full-text engine's query for ``terms``: each term's spellings joined by ``either``, the
    terms by ``both``; the prefix term's word followed by ``prefix``. Words hold only letters and
    digits (``fold``), so the engine's ``quote`` around each is enough to make it a plain word."""
    groups = []
    for term in terms:
        spellings = [f"{quote}{term.word}{quote}" + (prefix if term.prefix else "")]
        spellings += [f"{quote}{word}{quote}" for word in term.alternatives]
        groups.append("(" + f" {either} ".join(spellings) + ")")
    return f" {both} ".join(groups)


def isbn_of_query(query: str) -> str | None:
    """The ISBN-13 a query is, typed any way (hyphens, spaces, ISBN-10), or None."""
    query = query.strip()
    if _ISBN_LIKE.match(query):
        return try_normalize_isbn(query)
    return None


def query_terms(query: str) -> list[Term]:
    """The terms of a query, in order (at most MAX_QUERY_WORDS). A piece typed like an ISBN
    ("978-0-14") is one word, its hyphens dropped, as the document stores ISBNs."""
    found: list[str] = []
    for piece in query.split():
        if _ISBN_LIKE.match(piece):
            found.append(piece.replace("-", "").lower())
        else:
            found.extend(words(piece))
    found = found[:MAX_QUERY_WORDS]
    last = len(found) - 1
    return [
        Term(word, prefix=index == last, stop=word in STOP_WORDS)
        for index, word in enumerate(found)
    ]


def required_terms(terms: list[Term]) -> list[Term]:
    """The terms a book must match: every word but the stop words, or all of them when the
    query is nothing but stop words."""
    meaningful = [term for term in terms if not term.stop]
    return meaningful or terms


def query_phrase(terms: Iterable[Term], *, corrected: bool = False) -> str:
    """The query as one phrase (for exact-title and exact-author boosts), with each word or,
    when ``corrected``, its first correction."""
    return " ".join(
        term.alternatives[0] if corrected and term.alternatives else term.word for term in terms
    )
