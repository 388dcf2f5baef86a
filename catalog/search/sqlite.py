"""Search on SQLite: FTS5 tables kept in sync by triggers, ranked by where the words are.

``catalog_book_fts`` holds each book's search document split into its sections (one FTS5
column each, so that the rank can weigh them like PostgreSQL's tsvector weights); triggers on
``catalog_book`` insert, replace and delete its row whenever a book is added, its
``search_text`` changes or it is deleted. ``catalog_searchword_trgm`` is an FTS5 trigram index
over the spelling vocabulary (``catalog_searchword``), kept in sync by triggers as well.

Django rebuilds a SQLite table to alter it (a new column with a default, say), and that drops
the table's triggers: ``ensure_schema`` runs after every ``migrate`` (catalog.apps) and puts
them back, rebuilding the FTS content when they were missing.
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
    SQLITE_RANK_SCALE as RANK_SCALE,
)
from catalog.search.text import SECTIONS, Term, boolean_query

CANDIDATES = 50

# Every match is ranked: FTS5's rank needs no row of the book table (postgresql.RANK_WINDOW).
RANK_WINDOW: int | None = None


def _sections_sql(source: str) -> list[str]:
    """SQL expressions for each section of a search document (``SECTION`` is char(31)); SQLite
    has no split function, so each section is cut from what follows the previous one."""
    parts = []
    rest = source
    for _ in SECTIONS[:-1]:
        parts.append(f"substr({rest}, 1, instr({rest}, char(31)) - 1)")
        rest = f"substr({rest}, instr({rest}, char(31)) + 1)"
    parts.append(rest)
    return parts


def _insert_fts(source: str, rowid: str) -> str:
    columns = ", ".join(SECTIONS)
    return (
        f"INSERT INTO catalog_book_fts (rowid, {columns}) "
        f"SELECT {rowid}, {', '.join(_sections_sql(source))}"
    )


_TRIGGERS = {
    "catalog_book_fts_insert": (
        "AFTER INSERT ON catalog_book BEGIN " + _insert_fts("NEW.search_text", "NEW.id") + "; END"
    ),
    "catalog_book_fts_update": (
        "AFTER UPDATE OF search_text ON catalog_book BEGIN "  # noqa: S608 - our own SQL only
        "DELETE FROM catalog_book_fts WHERE rowid = OLD.id; "
        + _insert_fts("NEW.search_text", "NEW.id")
        + "; END"
    ),
    "catalog_book_fts_delete": (
        "AFTER DELETE ON catalog_book BEGIN DELETE FROM catalog_book_fts WHERE rowid = OLD.id; END"
    ),
    "catalog_searchword_trgm_insert": (
        "AFTER INSERT ON catalog_searchword BEGIN "
        "INSERT INTO catalog_searchword_trgm (rowid, word) VALUES (NEW.id, NEW.word); END"
    ),
    "catalog_searchword_trgm_delete": (
        "AFTER DELETE ON catalog_searchword BEGIN "
        "INSERT INTO catalog_searchword_trgm (catalog_searchword_trgm, rowid, word) "
        "VALUES ('delete', OLD.id, OLD.word); END"
    ),
    "catalog_searchword_trgm_update": (
        "AFTER UPDATE OF word ON catalog_searchword BEGIN "
        "INSERT INTO catalog_searchword_trgm (catalog_searchword_trgm, rowid, word) "
        "VALUES ('delete', OLD.id, OLD.word); "
        "INSERT INTO catalog_searchword_trgm (rowid, word) VALUES (NEW.id, NEW.word); END"
    ),
}

CREATE_TABLES = [
    # prefix: the last word of a query matches as a prefix; 2- and 3-letter prefixes indexed.
    # The title key is stored for the ranking's boost, not indexed.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS catalog_book_fts USING fts5({', '.join(SECTIONS[:-1])},"
    f" {SECTIONS[-1]} UNINDEXED, prefix='2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_searchword_trgm USING fts5(word,"
    " content='catalog_searchword', content_rowid='id', tokenize='trigram')",
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
    "DROP TABLE IF EXISTS catalog_book_fts",
    "DROP TABLE IF EXISTS catalog_searchword_trgm",
]


def ensure_schema(using_connection=None) -> bool:  # type: ignore[no-untyped-def]
    """Create the FTS tables and triggers that are missing, and refill the FTS tables when any
    trigger was: whatever was written while it was gone is in the rows. Whether anything was
    repaired."""
    conn = using_connection or connection
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for (name,) in cursor.fetchall()}
        missing = [name for name in _TRIGGERS if name not in present]
        if not missing:
            return False
        for statement in CREATE_TABLES:
            cursor.execute(statement)
        for name in missing:
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {_TRIGGERS[name]}")
        cursor.execute("DELETE FROM catalog_book_fts")
        cursor.execute(_insert_fts("search_text", "id") + " FROM catalog_book")
        cursor.execute(
            "INSERT INTO catalog_searchword_trgm (catalog_searchword_trgm) VALUES ('rebuild')"
        )
    return True


def _fts_query(terms: Sequence[Term]) -> str:
    """An FTS5 query: each term's spellings OR-ed, the terms AND-ed."""
    return boolean_query(terms, quote='"', prefix="*", either="OR", both="AND")


# Where a word is found, and what it adds to the rank (PostgreSQL's weights A, B, C, D): the
# best place each word of the query is found in counts.
_PLACES = (
    ("catalog_book_fts.title", 10),
    ("catalog_book_fts.subtitle", 4),
    ("replace(catalog_book_fts.authors, char(30), ' ')", 4),
    ("catalog_book_fts.about", 2),
)
_OTHERWISE = 1  # an ISBN


def _rank_sql(terms: Sequence[Term]) -> tuple[str, list[str]]:
    """SQL summing, for each term, the weight of the best section it is found in (its
    spellings, whole words; the last word as a prefix), and its parameters."""
    parts: list[str] = []
    params: list[str] = []
    for term in terms:
        patterns = [f" {term.word}" + ("" if term.prefix else " ")]
        patterns += [f" {word} " for word in term.alternatives]
        cases = []
        for column, weight in _PLACES:
            found = " OR ".join([f"instr(' ' || {column} || ' ', %s) > 0"] * len(patterns))
            cases.append(f"WHEN {found} THEN {weight}")
            params += patterns
        parts.append(f"CASE {' '.join(cases)} ELSE {_OTHERWISE} END")
    return " + ".join(parts), params


def every_match(books: QuerySet, terms: Sequence[Term]) -> QuerySet:
    """Every book of ``books`` matching ``terms``, unranked (as ``postgresql.every_match``)."""
    return books.filter(_matches(terms))


def _matches(terms: Sequence[Term]) -> BookSQL:
    return BookSQL(
        "{book}.id IN (SELECT rowid FROM catalog_book_fts WHERE catalog_book_fts MATCH %s)",
        [_fts_query(terms)],
        output_field=BooleanField(),
    )


def matching(
    books: QuerySet, terms: Sequence[Term], phrases: Sequence[str], keys: Sequence[str]
) -> QuerySet:
    """The books matching ``terms`` (the FTS5 index, one query), ranked.

    Not by bm25: FTS5 computes it only inside a MATCH query, and a MATCH per row (a correlated
    subquery) re-reads the words' whole posting lists each time, which took seconds for a word
    in 20,000 books. The rank is the weights of where each word is found (title 10, subtitle
    and authors 4, subjects and description 2, ISBN 1: PostgreSQL's A to D), read from the
    book's FTS row by its rowid, plus the boosts; ties by title."""
    matches = _matches(terms)
    rank, rank_params = _rank_sql(terms)
    listed = ", ".join(["%s"] * len(phrases))
    authors = " OR ".join(
        ["instr(char(30) || catalog_book_fts.authors || char(30), char(30) || %s || char(30)) > 0"]
        * len(phrases)
    )
    # Only constants and placeholders are formatted in; every value is a parameter.
    relevance = BookSQL(
        f"SELECT ({rank}) * {RANK_SCALE}"  # noqa: S608
        f" + CASE WHEN catalog_book_fts.title IN ({listed}) THEN {EXACT_TITLE_BOOST} ELSE 0 END"
        f" + CASE WHEN catalog_book_fts.title_key IN ({', '.join(['%s'] * len(keys))})"
        f" THEN {TITLE_WORDS_BOOST} ELSE 0 END"
        f" + CASE WHEN {authors} THEN {EXACT_AUTHOR_BOOST} ELSE 0 END"
        " FROM catalog_book_fts WHERE rowid = {book}.id",
        [*rank_params, *phrases, *keys, *phrases],
        output_field=BigIntegerField(),
    )
    return books.filter(matches).annotate(relevance=relevance)


def _trigrams_query(word: str) -> str:
    grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
    return " OR ".join(f'"{gram}"' for gram in grams)


def candidates(words: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """Vocabulary words sharing trigrams with each of ``words`` (the FTS5 trigram index), those
    sharing the most and rarest first; one statement for them all. The caller ranks them."""
    found: dict[str, list[tuple[str, int]]] = {word: [] for word in words}
    looked_up = [word for word in words if len(word) >= 3]
    if not looked_up:
        return found
    one = (
        "SELECT * FROM (SELECT %s AS typed, w.word, w.books FROM catalog_searchword_trgm"
        " JOIN catalog_searchword AS w ON w.id = catalog_searchword_trgm.rowid"
        " WHERE catalog_searchword_trgm MATCH %s AND w.books > 0"
        " ORDER BY bm25(catalog_searchword_trgm) LIMIT %s)"
    )
    params: list[str | int] = []
    for word in looked_up:
        params += [word, _trigrams_query(word), CANDIDATES]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([one] * len(looked_up)), params)
        for typed, word, books in cursor.fetchall():
            found[typed].append((word, books))
    return found
