"""Where other apps add to a book's representation, without the catalog importing them.

Circulation knows things about a book that the catalog does not: how many holds wait on it,
when the next copy is due, whether the reader has it on loan. It adds them by registering a
``BookExtension`` in its ``AppConfig.ready()``::

    register_book_extension(BookExtension(
        name="circulation",
        keys=("holds_waiting", "on_loan_to_me"),
        add=add_circulation_fields,          # (rows, viewer=...) -> None, fills the keys in
        schema_fields=circulation_fields,    # () -> {"holds_waiting": IntegerField(), ...}
    ))

``catalog.selectors.book_representations`` runs every registered ``add`` over each page of
book rows (lists, details, the website), after the catalog's own fields are in place; ``add``
must use a fixed number of queries per page, whatever its size. ``schema_fields`` documents the
keys in the API schema (``catalog.serializers.BookSerializer`` includes them), so the schema
and the rows cannot drift apart. The catalog itself registers nothing.

A book's web page has a hook of its own: ``settings.CATALOG_BOOK_PAGE_INCLUDES`` lists templates
that the page includes below its copies, in order, with the page's context (``book``, the
``request`` and ``user``, ``copies``). Such a template loads its app's template tags to read what
it needs (circulation's shows the holds and a "Place hold" form); the catalog names none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from shelfmark.rows import Row, Viewer


@dataclass(frozen=True)
class BookExtension:
    name: str
    keys: tuple[str, ...]
    add: Callable[..., None]
    schema_fields: Callable[[], Mapping[str, Any]]


_book_extensions: dict[str, BookExtension] = {}


def register_book_extension(extension: BookExtension) -> None:
    """Add (or, under the same name, replace) an extension of the book representation."""
    _book_extensions[extension.name] = extension


def unregister_book_extension(name: str) -> None:
    _book_extensions.pop(name, None)


def book_extensions() -> tuple[BookExtension, ...]:
    return tuple(_book_extensions.values())


def extend_book_rows(rows: list[Row], *, viewer: Viewer) -> None:
    for extension in _book_extensions.values():
        extension.add(rows, viewer=viewer)


def book_page_includes() -> list[str]:
    """The templates other apps add to a book's web page (settings.CATALOG_BOOK_PAGE_INCLUDES)."""
    return list(getattr(settings, "CATALOG_BOOK_PAGE_INCLUDES", []))
