"""Media files (stored imports, covers) that are whole or not there at all.

Django's ``FileSystemStorage`` writes a file at its final name, and a write that fails part way
(the volume full: ``shelfmark.outages`` answers the request 503) left the part written there,
under a name nothing in the database holds. ``MediaStorage`` writes to a hidden file beside the
final name and renames it into place once it is complete; whatever stops the write, the hidden
file is removed. ``removed_unless_saved`` removes a file that was stored whole when the service
storing it fails before the row that names it is saved (a database outage, a deadlock retried).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.utils._os import safe_makedirs

logger = logging.getLogger(__name__)


class _Staged:
    """A complete file on disk: ``FileSystemStorage._save`` moves one with a path (as it does
    an upload spooled to a temporary file) instead of copying it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def temporary_file_path(self) -> str:
        return self.path


class MediaStorage(FileSystemStorage):
    """``FileSystemStorage`` whose save is all or nothing (see the module)."""

    def _save(self, name: str, content: Any) -> str:
        directory = os.path.dirname(self.path(name))
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        # In the same folder, so the move is a rename (no second copy); the mode is the one
        # Django gives a file it writes itself (0o666 less the umask).
        staged = os.path.join(directory, f".{secrets.token_hex(8)}.partial")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            with os.fdopen(os.open(staged, flags, 0o666), "wb") as file:
                for chunk in content.chunks():
                    file.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            return super()._save(name, _Staged(staged))  # type: ignore[misc]  # not in the stubs
        finally:
            # Moved into place, it is gone; otherwise it is the part that was written.
            with contextlib.suppress(FileNotFoundError):
                os.remove(staged)


@contextlib.contextmanager
def removed_unless_saved(field_file: FieldFile) -> Iterator[None]:
    """If the block raises, the file it stored in ``field_file`` (a new name) is deleted: the
    transaction that would have saved the row naming it is rolled back."""
    before = field_file.name
    try:
        yield
    except BaseException:
        if field_file.name and field_file.name != before:
            try:
                field_file.storage.delete(field_file.name)
            except OSError:
                logger.warning("Could not delete %s, stored for a row not saved", field_file.name)
        raise
