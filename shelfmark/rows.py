"""Row shapes: how a resource is read as plain rows, declared once in its app's selectors.

Hot read paths never build a model instance or a serializer per row: a list is one ``.values()``
query whose dicts the API renders as they are, after one batch step (``represent``) that may
add related data for the whole page in a fixed number of queries. A detail read is the same
query narrowed to one object, so list and detail share every column and every rule that shapes
them. The API kit (shelfmark.api.views) and the HTML views both read through these shapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Expression, F, Model, QuerySet

Row = dict[str, Any]
# Who is reading: a user (possibly anonymous) or None outside a request (commands, exports).
Viewer = Any


def _unchanged(rows: list[Row], *, viewer: Viewer) -> list[Row]:
    return rows


def renamed(**names: str) -> Callable[..., list[Row]]:
    """A ``represent`` step that renames columns, e.g. ``renamed(book_id="book")``: the API
    names a related row by its id under the relation's name."""

    def represent(rows: list[Row], *, viewer: Viewer = None) -> list[Row]:
        for row in rows:
            for column, key in names.items():
                row[key] = row.pop(column)
        return rows

    return represent


def select_for_ids(
    sql: str, ids: Sequence[Any], params: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """Run ``sql``, in which ``{ids}`` stands for "is one of ``ids``", with ``params`` for its
    other placeholders (before the ids, in order), and return its rows.

    The ids go as one parameter: ``= ANY(%s)`` with an array on PostgreSQL, ``IN (SELECT value
    FROM json_each(%s))`` on SQLite. The per-page look-ups of the hot read paths are fixed SQL
    like this rather than querysets: building and compiling a queryset costs more Python than
    the query costs the database, and an ``__in`` list binds one parameter per id.
    """
    if not ids:
        return []
    ids_param: list[Any] | str
    if connection.vendor == "postgresql":
        test, ids_param = "= ANY(%s)", list(ids)
    else:
        test, ids_param = "IN (SELECT value FROM json_each(%s))", json.dumps(list(ids))
    with connection.cursor() as cursor:
        cursor.execute(sql.format(ids=test), [*params, ids_param])
        return cursor.fetchall()


def add_counts(
    rows: list[Row],
    *,
    table: str,
    per: str,
    counts: Mapping[str, str],
    where: str = "",
    params: Sequence[Any] = (),
) -> None:
    """Fill in ``counts`` (name: an SQL aggregate, such as ``count(*)`` or ``count(*) FILTER
    (WHERE status = %s)``) of the rows of ``table`` that point at each of ``rows`` through the
    column ``per`` (a book's copies by ``book_id``), 0 where none do; ``where`` narrows them.
    ``params`` fill the placeholders of ``counts`` and ``where``, in that order.

    One grouped query over the page's ids, instead of a correlated subquery per row in the
    page's own query, which stays a plain index scan. Table and column names are the callers'
    own constants, never input."""
    if not rows:
        return
    aggregates = ", ".join(counts.values())
    narrowed = f"{where} AND " if where else ""
    found = {
        counted[0]: counted[1:]
        for counted in select_for_ids(
            f"SELECT {per}, {aggregates} FROM {table} "  # noqa: S608 - our own names only
            f"WHERE {narrowed}{per} {{ids}} GROUP BY {per}",
            [row["id"] for row in rows],
            params,
        )
    }
    none = (0,) * len(counts)
    for row in rows:
        for name, value in zip(counts, found.get(row["id"], none), strict=True):
            row[name] = value


@dataclass(frozen=True)
class RowShape:
    """The columns of a resource's rows and the steps that make them.

    ``columns``   the keys ``.values()`` reads: model fields and the names of ``annotations``.
    ``annotations`` computed columns (sort keys, a search's rank), made fresh for
                  each query.
    ``represent`` the batch step from database rows to what clients see (rename keys, attach
                  related rows); a fixed number of queries per page, never one per row.
    ``version``   a column among ``columns`` that grows whenever anything clients see of the
                  row changes (kept by the database): pages of such rows get an ETag and a
                  304 before ``represent`` runs (shelfmark.conditional).
    """

    columns: tuple[str, ...]
    annotations: Callable[[], Mapping[str, Expression | F]] = field(default=dict)
    represent: Callable[..., list[Row]] = _unchanged
    version: str | None = None

    def annotate(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` (model instances) with the computed columns added."""
        # A column the query computes already (a search's relevance) is kept: the shape's own
        # annotation is its value for queries that do not.
        annotations = {
            name: value
            for name, value in self.annotations().items()
            if name not in queryset.query.annotations
        }
        return queryset.annotate(**annotations) if annotations else queryset

    def rows(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` as rows: one dict per object with exactly ``columns``."""
        return self.annotate(queryset).values(*self.columns)

    def row_of(self, obj: Model) -> Row:
        """The row of an instance read through ``annotate`` (a detail view's object)."""
        return {column: getattr(obj, column) for column in self.columns}

    def present(self, rows: Iterable[Row], *, viewer: Viewer = None) -> list[Row]:
        return self.represent(list(rows), viewer=viewer)
