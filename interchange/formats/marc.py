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
    record names its own encoding, and ``encoding``, "marc-8" or one Python knows, overrides
    it for every record) or "marcxml" (``encoding`` overrides the XML declaration's). Raises
    ``SourceError`` when the file is not MARC at all, or the encoding is unknown."""
    if kind == "marc":
        return MarcBinarySource(file, encoding=encoding, size=size)
    if kind == "marcxml":
        return MarcXmlSource(file, encoding=encoding, size=size)
    raise ValueError(f"Unknown MARC kind {kind!r}; expected one of {KINDS}.")
