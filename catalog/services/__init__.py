"""Every write to the catalog. Each function owns its transaction and raises domain errors.

By concept: ``names`` (authors and subjects), ``books``, ``copies`` (including the statuses that
circulation owns). The functions are re-exported here, so callers write ``services.book_create``.
"""

from catalog.services.books import book_create, book_delete, book_update
from catalog.services.copies import (
    copy_circulation_move,
    copy_circulation_move_locked,
    copy_create,
    copy_delete,
    copy_update,
)
from catalog.services.covers import book_cover_clear, book_cover_set
from catalog.services.names import (
    author_create,
    author_delete,
    author_update,
    subject_create,
    subject_delete,
    subject_update,
)

__all__ = [
    "author_create",
    "author_delete",
    "author_update",
    "book_cover_clear",
    "book_cover_set",
    "book_create",
    "book_delete",
    "book_update",
    "copy_circulation_move",
    "copy_circulation_move_locked",
    "copy_create",
    "copy_delete",
    "copy_update",
    "subject_create",
    "subject_delete",
    "subject_update",
]
