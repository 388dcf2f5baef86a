"""Facets of a book list: how many of the matching books have each author, subject, language,
decade and availability, the values a search can be narrowed by.

The facets read the books the list's filters selected (``BookFilter(...).qs``: the search
``catalog.selectors.book_search`` and every filter), so they follow the search whatever it
becomes. Counts are over all the matches, never the page. The search runs once: the probe below
reads the matches' ids with their languages and years (counted in Python), and the authors,
subjects and availability are one statement each over those ids, given as one parameter: the
top ``TOP_VALUES`` values by count, ties by value. (Each facet used to run the search again as
a subquery: at 100,000 books a common word's five facets took about 250 ms, most of it the
same search five times.) Every value is a string the list's filter of the same name accepts
(``?subject=Fiction``, ``?decade=1990``, ``?available=true``), so a facet value is a link.

Bounded work: a search that matches more books than ``settings.CATALOG_FACETS_EXACT_LIMIT`` (N)
is counted over its first N matches in primary-key order (the books catalogued first), which the
primary-key index reads in order, and the answer says the counts are estimated. One probe
decides it before the facets' queries: is there an (N+1)th match? Estimated counts are exact
for that sample, so they are lower bounds of the true counts, and the top values are the
sample's. A sample by id is reproducible (the same request gives the same counts) and costs at
most N ids; a random sample would need every match read first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Author, Book, BookAuthor, Copy, CopyStatus, Subject
from shelfmark.errors import InvalidInput
from shelfmark.rows import Row, select_for_ids

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TOP_VALUES = 10  # values per facet, the most frequent first


def decade_of(year: int) -> int:
    """The decade a year is in, named by its first year (1995 -> 1990, -5 -> -10)."""
    return year - year % 10


def decade_years(decade: int) -> tuple[int, int]:
    """The first and last year of a decade named by its first year (1990 -> 1990, 1999)."""
    return decade, decade + 9


@dataclass(frozen=True)
class Matches:
    """The sample the facets count: the matches' ids, and their languages and years, which the
    probe reads with the ids (so those two facets cost no query of their own)."""

    ids: list[int]
    languages: list[str]
    years: list[int | None]


def _top(counts: Counter[Any]) -> list[tuple[Any, int]]:
    """The TOP_VALUES most frequent values, ties by value."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_VALUES]


# The other facets are one fixed statement each over the matches' ids, given as one parameter
# (shelfmark.rows.select_for_ids): the search runs once, in the probe, not once a facet. Names
# are the models' own tables.
_BY_AUTHOR = (
    # (book, author) is unique: the rows counted are books.
    "SELECT link.author_id, author.name, count(*) AS n "  # noqa: S608 - our own names
    f"FROM {BookAuthor._meta.db_table} link JOIN {Author._meta.db_table} author "
    "ON author.id = link.author_id WHERE link.book_id {ids} "
    f"GROUP BY link.author_id, author.name ORDER BY n DESC, author.name, link.author_id "
    f"LIMIT {TOP_VALUES}"
)
_BY_SUBJECT = (
    "SELECT link.subject_id, subject.name, count(*) AS n "  # noqa: S608 - our own names
    f"FROM {Book.subjects.through._meta.db_table} link JOIN {Subject._meta.db_table} subject "
    "ON subject.id = link.subject_id WHERE link.book_id {ids} "
    f"GROUP BY link.subject_id, subject.name ORDER BY n DESC, subject.name, link.subject_id "
    f"LIMIT {TOP_VALUES}"
)
# The books with a copy on the shelf: the test behind ?available=.
_ON_SHELF = (
    f"SELECT count(DISTINCT book_id) FROM {Copy._meta.db_table} "  # noqa: S608 - ours
    "WHERE status = %s AND book_id {ids}"
)


def _by_author(matches: Matches) -> list[Row]:
    return [
        {"value": name, "count": n, "id": author_id}
        for author_id, name, n in select_for_ids(_BY_AUTHOR, matches.ids)
    ]


def _by_subject(matches: Matches) -> list[Row]:
    return [
        {"value": name, "count": n, "id": subject_id}
        for subject_id, name, n in select_for_ids(_BY_SUBJECT, matches.ids)
    ]


def _by_language(matches: Matches) -> list[Row]:
    # Books without a language are left out: "?language=" (empty) means "not filtered".
    counts = Counter(language for language in matches.languages if language)
    return [{"value": language, "count": n} for language, n in _top(counts)]


def _by_decade(matches: Matches) -> list[Row]:
    counts = Counter(decade_of(year) for year in matches.years if year is not None)
    return [{"value": str(decade), "count": n} for decade, n in _top(counts)]


def _by_availability(matches: Matches) -> list[Row]:
    if not matches.ids:
        return []
    ((on_shelf,),) = select_for_ids(_ON_SHELF, matches.ids, [CopyStatus.AVAILABLE.value])
    values = [("true", on_shelf), ("false", len(matches.ids) - on_shelf)]
    return [{"value": value, "count": n} for value, n in values if n]


@dataclass(frozen=True)
class Facet:
    name: str  # the facet's key in answers, and the list filter its values go to
    label: StrOrPromise  # its heading on the website (translated when shown)
    description: str  # what a value is (API docs)
    count: Callable[[Matches], list[Row]]  # the sample -> the facet's top values


# The facets, in the order answers list them. Each name is also a BookFilter parameter
# (catalog/tests/test_facets.py checks it).
FACETS: dict[str, Facet] = {
    facet.name: facet
    for facet in (
        Facet(
            "author",
            gettext_lazy("Author"),
            "Authors by name; `id` is the author's id (either goes to `?author=`).",
            _by_author,
        ),
        Facet(
            "subject",
            gettext_lazy("Subject"),
            "Subjects by name; `id` is the subject's id (either goes to `?subject=`).",
            _by_subject,
        ),
        Facet(
            "language",
            gettext_lazy("Language"),
            "ISO 639 codes (books without one are not counted).",
            _by_language,
        ),
        Facet(
            "decade",
            gettext_lazy("Decade"),
            "Decades of publication by their first year: `1990` is 1990 to 1999 (`?decade=1990`).",
            _by_decade,
        ),
        Facet(
            "available",
            gettext_lazy("Availability"),
            "`true`: books with a copy on the shelf now, `false`: books with none; in that order.",
            _by_availability,
        ),
    )
}
FACET_NAMES = tuple(FACETS)


def facet_names(text: str) -> list[str]:
    """The facets asked for in ``?facets=`` (comma-separated, in any order, repeats ignored), in
    the order answers list them; an InvalidInput (400) naming the allowed ones for any other."""
    asked = {part.strip() for part in text.split(",")} - {""}
    unknown = sorted(asked - set(FACETS))
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:3])
        raise InvalidInput(
            _("Unknown facet %(given)s: the facets are %(known)s.")
            % {"given": shown, "known": ", ".join(FACET_NAMES)},
            code="unknown_facet",
            field="facets",
        )
    return [name for name in FACET_NAMES if name in asked]


@dataclass(frozen=True)
class BookFacets:
    values: dict[str, list[Row]]  # facet name -> [{"value", "count"(, "id")}], top first
    estimated: bool  # counted over the first `limit` matches only
    limit: int


def book_facets(
    matches: QuerySet[Book],
    names: Iterable[str],
    *,
    limit: int | None = None,
    window: int | None = None,
) -> BookFacets:
    """The facets ``names`` of the books ``matches`` (see the module docstring): one probe
    query for the matches' ids, then one query per facet over them. ``window``: the search's
    bound on its matches, if any (a full window makes the counts estimates)."""
    names = list(names)
    limit = settings.CATALOG_FACETS_EXACT_LIMIT if limit is None else limit
    # A search that ranks a window of its matches (catalog.search: ``window``) found at most
    # that many beside the exact titles: when the window is full, there were more.
    windowed = False
    if window is not None and window <= limit:
        limit, windowed = window, True
    if not names:
        return BookFacets({}, estimated=False, limit=limit)
    # The probe: the first N+1 matches by id, with what two facets count; an (N+1)th means the
    # counts are estimated.
    rows = list(matches.order_by("pk").values_list("pk", "language", "year")[: limit + 1])
    estimated = len(rows) > limit or (windowed and len(rows) >= limit)
    rows = rows[:limit]
    sample = Matches(
        ids=[row[0] for row in rows],
        languages=[row[1] for row in rows],
        years=[row[2] for row in rows],
    )
    return BookFacets(
        {name: FACETS[name].count(sample) for name in names}, estimated=estimated, limit=limit
    )
