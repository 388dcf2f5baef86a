"""MARC 21 import files: ISO 2709 ("binary", .mrc) and MARCXML. The work is done in
``interchange.marc``; this is the door the format dispatcher opens."""

from __future__ import annotations

from typing import BinaryIO

from interchange.marc.binary import MarcBinarySource
from interchange.marc.xml import MarcXmlSource
from interchange.records import Source

KINDS = ("marc", "marcxml")


def open_marc_source(
    file: BinaryIO, *, kind: str, encoding: str | None = None, size: int | None = None
) -> Source:
    """A ``Source`` streaming the records of a MARC file: ``kind`` "marc" (ISO 2709; each
    record names its own encoding, so ``encoding`` must be None) or "marcxml" (``encoding``
    overrides the XML declaration's). Raises ``SourceError`` when the file is not MARC at all."""
    if kind == "marc":
        if encoding is not None:
            raise ValueError("MARC 21 records say their own encoding (leader/09); pass None.")
        return MarcBinarySource(file, size=size)
    if kind == "marcxml":
        return MarcXmlSource(file, encoding=encoding, size=size)
    raise ValueError(f"Unknown MARC kind {kind!r}; expected one of {KINDS}.")
