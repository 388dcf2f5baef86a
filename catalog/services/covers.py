"""Book covers: image files in the default storage (MEDIA_ROOT), named after their content."""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from catalog.models import Book
from catalog.rules import clean_cover
from shelfmark.errors import InvalidInput, RuleError
from shelfmark.storage import removed_unless_saved
from shelfmark.transactions import lock_row, service_transaction

logger = logging.getLogger(__name__)


@service_transaction
def book_cover_set(*, book: Book, content: bytes) -> Book:
    """Store ``content`` (image bytes) as the book's cover, replacing the one it had.

    The file is named ``covers/<book id>-<content hash>.<format>``: a new cover is a new name,
    so the cover's URL (versioned by its name) changes and browsers' long-cached copies of the
    old one are never shown for it. The old file goes once the change has committed.
    """
    try:
        image = clean_cover(content)
    except RuleError as error:
        raise InvalidInput(str(error), field="cover") from None
    book = lock_row(Book, book.pk, no_key=True)
    digest = hashlib.sha256(image.content).hexdigest()[:16]
    old_name = book.cover.name or ""
    name = f"{book.pk}-{digest}.{image.extension}"
    if old_name.endswith(f"/{name}") and default_storage.exists(old_name):
        return book  # the same image again
    with removed_unless_saved(book.cover):
        book.cover.save(name, ContentFile(image.content), save=False)
        book.save(update_fields=["cover", "updated_at"])
    if old_name and old_name != book.cover.name:
        transaction.on_commit(lambda: _delete_file(old_name))
    return book


@service_transaction
def book_cover_clear(*, book: Book) -> Book:
    book = lock_row(Book, book.pk, no_key=True)
    old_name = book.cover.name or ""
    if old_name:
        book.cover = ""  # an empty name is "no file", as Django has it
        book.save(update_fields=["cover", "updated_at"])
        transaction.on_commit(lambda: _delete_file(old_name))
    return book


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # a file already gone, or a read-only volume: the row is what counts
        logger.warning("Could not delete the old cover file %s", name, exc_info=True)
