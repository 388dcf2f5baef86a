"""A CQL query (protocols.cql) over the catalog: which books it finds, through the catalog's own
search where it can, so that SRU answers what the website answers.

Each search clause becomes the set of the ids of the books it finds, and the booleans combine
the sets (``and``: both, ``or``: either, ``not``: the left less the right). The indexes:

- ``cql.serverChoice`` (a bare term), ``cql.anywhere``, ``cql.keywords``: any field the website
  searches (title, subtitle, authors, subjects, description, ISBN), through
  ``catalog.selectors.book_matches`` (the website's search as written, every match unranked);
- ``dc.title`` (title and subtitle), ``dc.creator`` or ``dc.author`` (authors' names),
  ``dc.subject`` (subjects): the same search, then the words checked in that field's own part
  of the book's search document (``catalog.search.text.search_document``);
- ``bath.isbn``, ``dc.identifier``: the ISBN, spelt any way (ISBN-10 or -13, hyphens);
- ``rec.id``: the book's id.

Relations: ``=`` and ``all`` (every word), ``any`` (one of the words), ``adj`` and ``==`` and
``exact`` (the words in that order). A word may end in ``*`` (right truncation); other masking
and anchoring are refused with their diagnostics. The words are the catalog's (folded: case and
accents do not matter), and, as on the website, the last word of a term also matches as the
start of a longer word.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import QuerySet

from catalog.isbn import try_normalize_isbn
from catalog.models import Book
from catalog.search.text import SECTION, words
from catalog.selectors import book_matches
from protocols import cql

Row = TypeVar("Row")

ANYWHERE = frozenset({"cql.serverchoice", "cql.anywhere", "cql.keywords", "cql.allindexes"})
# The part of Book.search_text (catalog.search.text.search_document) each index reads.
SECTIONS = {"dc.title": (0, 1), "dc.creator": (2,), "dc.author": (2,), "dc.subject": (3,)}
ISBN = frozenset({"bath.isbn", "dc.identifier"})
RECORD_ID = "rec.id"
INDEXES = ANYWHERE | set(SECTIONS) | ISBN | {RECORD_ID}
RELATIONS = frozenset({"=", "all", "any", "adj", "==", "exact"})
# A clause finding more books than this is refused (diagnostic 60) rather than gathered into a
# set of ids: a query for a word in every other book must say more.
MOST_MATCHES = 200_000
TOO_MANY_MATCHES = 60


@dataclass(frozen=True)
class Diagnostic(Exception):
    """An SRU diagnostic (info:srw/diagnostic/1/<number>) for the query."""

    number: int
    details: str
    message: str


def matching_ids(query: cql.Query) -> set[int]:
    """The ids of the books ``query`` finds; a Diagnostic when it asks what the catalog cannot
    answer."""
    if query.sort_keys:
        raise Diagnostic(cql.SORT_NOT_SUPPORTED, "sortBy", "Sort not supported")
    return _ids(query.root)


def _ids(node: cql.Node) -> set[int]:
    if isinstance(node, cql.Query):
        return _ids(node.root)
    if isinstance(node, cql.Boolean):
        if node.op not in ("and", "or", "not"):
            raise Diagnostic(
                cql.UNSUPPORTED_BOOLEAN_OPERATOR, node.op, "Unsupported boolean operator"
            )
        if node.modifiers:
            raise Diagnostic(
                cql.UNSUPPORTED_BOOLEAN_MODIFIER,
                node.modifiers[0].name,
                "Unsupported boolean modifier",
            )
        left, right = _ids(node.left), _ids(node.right)
        if node.op == "and":
            return left & right
        if node.op == "or":
            return left | right
        return left - right
    return _clause_ids(node)


def _clause_ids(clause: cql.SearchClause) -> set[int]:
    index, relation = clause.index, clause.relation
    if index not in INDEXES:
        raise Diagnostic(cql.UNSUPPORTED_INDEX, index, "Unsupported index")
    if relation.name not in RELATIONS:
        raise Diagnostic(cql.UNSUPPORTED_RELATION, relation.name, "Unsupported relation")
    if relation.modifiers:
        raise Diagnostic(
            cql.UNSUPPORTED_RELATION_MODIFIER,
            relation.modifiers[0].name,
            "Unsupported relation modifier",
        )
    term = clause.term
    if not term.text.strip():
        raise Diagnostic(cql.EMPTY_TERM_UNSUPPORTED, "", "Empty term unsupported")
    if index == RECORD_ID:
        return _by_id(term.text)
    if index in ISBN:
        isbn = try_normalize_isbn(term.text)
        if isbn is None:
            return set()
        return set(Book.objects.filter(isbn=isbn).values_list("pk", flat=True))
    text = _searchable(term)
    if relation.name == "any":
        found: set[int] = set()
        for word in text.split():
            found |= _search(index, word, ordered=False)
        return found
    return _search(index, text, ordered=relation.name in ("adj", "==", "exact"))


def _searchable(term: cql.Term) -> str:
    """The term's words for the catalog's search: a trailing ``*`` is what the search does
    with a last word anyway; any other masking or anchoring is not supported."""
    if term.anchored_start or term.anchored_end:
        raise Diagnostic(
            cql.ANCHORING_NOT_SUPPORTED, term.text, "Anchoring character not supported"
        )
    for word in term.words():
        if word.masked or word.suffix:
            raise Diagnostic(
                cql.MASKING_NOT_SUPPORTED, term.text, "Masking character not supported"
            )
    return " ".join(word.text for word in term.words())


def _by_id(text: str) -> set[int]:
    try:
        book_id = int(text.strip())
    except ValueError:
        return set()
    return set(Book.objects.filter(pk=book_id).values_list("pk", flat=True))


def _search(index: str, text: str, *, ordered: bool) -> set[int]:
    wanted = words(text)
    if not wanted:
        return set()
    # Every match, not the website's ranked first page of them: SRU counts and pages them all.
    found = book_matches(Book.objects.all(), text)
    if index in ANYWHERE and not ordered:
        return set(_bounded(found.values_list("pk", flat=True)))
    sections = SECTIONS.get(index, ())
    # The catalog's search found the books with these words anywhere: keep those that have them
    # in the index's own part of the document (all of them, or in this order for adj).
    kept = set()
    for book_id, document in _bounded(found.values_list("pk", "search_text")):
        parts = document.split(SECTION)
        texts = [parts[i] for i in sections if i < len(parts)] if sections else [document]
        if any(_has(part, wanted, ordered=ordered) for part in texts):
            kept.add(book_id)
    return kept


def _has(part: str, wanted: list[str], *, ordered: bool) -> bool:
    """Whether the folded text ``part`` has the words ``wanted`` (the last also as the start
    of a word, as the catalog's search takes it), in this order and side by side if
    ``ordered``."""
    have = part.split()
    *whole, last = wanted

    def matches(word: str, position: int) -> bool:
        target = whole[position] if position < len(whole) else last
        return word == target or (position == len(whole) and word.startswith(target))

    if ordered:
        size = len(wanted)
        return any(
            all(matches(have[start + i], i) for i in range(size))
            for start in range(len(have) - size + 1)
        )
    return all(word in have for word in whole) and any(word.startswith(last) for word in have)


def _bounded(rows: QuerySet[Any, Row]) -> Iterator[Row]:
    """``rows`` one by one (streamed), refused once there are more than MOST_MATCHES."""
    for count, row in enumerate(rows.iterator()):
        if count >= MOST_MATCHES:
            raise Diagnostic(
                TOO_MANY_MATCHES,
                str(MOST_MATCHES),
                "Result set not created: too many matching records",
            )
        yield row
