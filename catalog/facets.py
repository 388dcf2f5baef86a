"""Facets of a book list: how many of the matching books have each author, subject, language,
decade and availability, the values a search can be narrowed by.

The facets read the books the list's filters selected (``BookFilter(...).qs``: the search
``catalog.selectors.book_search`` and every filter), so they follow the search whatever it
becomes. Counts are over all the matches, never the page, and each facet is one GROUP BY query
over the matches' ids (``book_id IN (SELECT id FROM <matches>)``): the top ``TOP_VALUES`` values
by count, ties by value. Every value is a string the list's filter of the same name accepts
(``?subject=Fiction``, ``?decade=1990``, ``?available=true``), so a facet value is a link.

Bounded work: a search that matches more books than ``settings.CATALOG_FACETS_EXACT_LIMIT`` (N)
is counted over its first N matches in primary-key order (the books catalogued first), which the
primary-key index reads in order, and the answer says the counts are estimated. One probe
decides it before the facets' queries: is there an (N+1)th match? Estimated counts are exact
for that sample, so they are lower bounds of the true counts, and the top values are the
sample's. A sample by id is reproducible (the same request gives the same counts) and costs at
most N index entries per facet; a random sample would need every match read first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, IntegerField, Q, QuerySet
from django.db.models.expressions import CombinedExpression, ExpressionWrapper, Value

from catalog.models import Book, BookAuthor
from catalog.selectors import book_on_shelf
from shelfmark.errors import InvalidInput
from shelfmark.rows import Row

TOP_VALUES = 10  # values per facet, the most frequent first


def decade_of(year: int) -> int:
    """The decade a year is in, named by its first year (1995 -> 1990, -5 -> -10)."""
    return year - year % 10


def decade_years(decade: int) -> tuple[int, int]:
    """The first and last year of a decade named by its first year (1990 -> 1990, 1999)."""
    return decade, decade + 9


# decade_of() in SQL. `%` keeps the dividend's sign in PostgreSQL and SQLite alike (-5 % 10 is
# -5), so ((year % 10) + 10) % 10 is the year's place in its decade for BC years too.
_PLACE_IN_DECADE = CombinedExpression(
    CombinedExpression(F("year") % 10, "+", Value(10)), "%%", Value(10)
)
_DECADE = ExpressionWrapper(F("year") - _PLACE_IN_DECADE, output_field=IntegerField())


def _by_author(ids: QuerySet) -> list[Row]:
    rows = (
        BookAuthor.objects.filter(book_id__in=ids)
        .values("author_id", "author__name")
        .annotate(n=Count("book_id"))  # (book, author) is unique: rows are books
        .order_by("-n", "author__name", "author_id")[:TOP_VALUES]
    )
    return [{"value": r["author__name"], "count": r["n"], "id": r["author_id"]} for r in rows]


def _by_subject(ids: QuerySet) -> list[Row]:
    rows = (
        Book.subjects.through.objects.filter(book_id__in=ids)
        .values("subject_id", "subject__name")
        .annotate(n=Count("book_id"))
        .order_by("-n", "subject__name", "subject_id")[:TOP_VALUES]
    )
    return [{"value": r["subject__name"], "count": r["n"], "id": r["subject_id"]} for r in rows]


def _by_language(ids: QuerySet) -> list[Row]:
    # Books without a language are left out: "?language=" (empty) means "not filtered".
    rows = (
        Book.objects.filter(pk__in=ids)
        .exclude(language="")
        .values("language")
        .annotate(n=Count("pk"))
        .order_by("-n", "language")[:TOP_VALUES]
    )
    return [{"value": r["language"], "count": r["n"]} for r in rows]


def _by_decade(ids: QuerySet) -> list[Row]:
    rows = (
        Book.objects.filter(pk__in=ids, year__isnull=False)
        .annotate(decade=_DECADE)
        .values("decade")
        .annotate(n=Count("pk"))
        .order_by("-n", "decade")[:TOP_VALUES]
    )
    return [{"value": str(r["decade"]), "count": r["n"]} for r in rows]


def _by_availability(ids: QuerySet) -> list[Row]:
    # One pass: each book's "has a copy on the shelf" is the same EXISTS that ?available= uses.
    counts = Book.objects.filter(pk__in=ids).aggregate(
        all=Count("pk"), on_shelf=Count("pk", filter=Q(book_on_shelf()))
    )
    values = [("true", counts["on_shelf"]), ("false", counts["all"] - counts["on_shelf"])]
    return [{"value": value, "count": n} for value, n in values if n]


@dataclass(frozen=True)
class Facet:
    name: str  # the facet's key in answers, and the list filter its values go to
    label: str  # its heading on the website
    description: str  # what a value is (API docs)
    count: Callable[[QuerySet], list[Row]]


# The facets, in the order answers list them. Each name is also a BookFilter parameter
# (catalog/tests/test_facets.py checks it).
FACETS: dict[str, Facet] = {
    facet.name: facet
    for facet in (
        Facet(
            "author",
            "Author",
            "Authors by name; `id` is the author's id (either goes to `?author=`).",
            _by_author,
        ),
        Facet(
            "subject",
            "Subject",
            "Subjects by name; `id` is the subject's id (either goes to `?subject=`).",
            _by_subject,
        ),
        Facet(
            "language",
            "Language",
            "ISO 639 codes (books without one are not counted).",
            _by_language,
        ),
        Facet(
            "decade",
            "Decade",
            "Decades of publication by their first year: `1990` is 1990 to 1999 (`?decade=1990`).",
            _by_decade,
        ),
        Facet(
            "available",
            "Availability",
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
            f"Unknown facet {shown}: the facets are {', '.join(FACET_NAMES)}.",
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
    matches: QuerySet[Book], names: Iterable[str], *, limit: int | None = None
) -> BookFacets:
    """The facets ``names`` of the books ``matches`` (see the module docstring): one probe
    query, then one query per facet."""
    names = list(names)
    limit = settings.CATALOG_FACETS_EXACT_LIMIT if limit is None else limit
    if not names:
        return BookFacets({}, estimated=False, limit=limit)
    ids = matches.order_by().values("pk")
    # Whether there is an (N+1)th match; in any order, so the database reads the cheapest way.
    estimated = bool(list(matches.order_by().values_list("pk", flat=True)[limit : limit + 1]))
    if estimated:
        ids = matches.order_by("pk").values("pk")[:limit]
    return BookFacets(
        {name: FACETS[name].count(ids) for name in names}, estimated=estimated, limit=limit
    )
