"""The kinds of import, by ``ImportKind``: what the command line, the website and the worker
look up to open a file and run it (``interchange.services.imports.Importer``)."""

from __future__ import annotations

from typing import Any, BinaryIO

from interchange.models import ImportKind, ImportRun
from interchange.services.imports import CatalogImport, Importer
from interchange.services.patrons import PatronImport

IMPORTERS: dict[ImportKind | str, type[Importer]] = {
    ImportKind.CATALOG: CatalogImport,
    ImportKind.PATRONS: PatronImport,
}


def importer_for(run: ImportRun) -> Importer:
    """The run's kind of import, made for it."""
    return IMPORTERS[run.kind](run)


def source_open(
    file: BinaryIO, *, kind: str, format: str, encoding: str | None, size: int | None
) -> Any:
    """The file opened by the reader for ``kind``; ``SourceError`` when it refuses the file as a
    whole (the message says why, for a librarian). Reads only the file's first bytes."""
    return IMPORTERS[kind].open(file, format=format, encoding=encoding, size=size)
