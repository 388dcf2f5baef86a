"""Readers of import files: a file in, ``BookRecord``s (or ``PatronRecord``s) out.

``open_catalog_source`` finds the format when asked to ("auto"): MARCXML and MARC 21 by their
first bytes, JSON by its first character, and among text files the exports of other programs
(``interchange.formats.tabular.LAYOUTS``) by their headers; anything else is read as our own
CSV layout.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Callable
from typing import BinaryIO, cast

from django.utils.translation import gettext as _

from interchange.formats.jsonfile import JsonSource
from interchange.formats.patrons import PatronSource
from interchange.formats.tabular import LAYOUTS, TabularSource
from interchange.formats.text import ByteCounter, file_size, read_sample
from interchange.records import Source, SourceError

FORMATS = (*LAYOUTS, "marc", "marcxml", "json")

__all__ = ["FORMATS", "open_catalog_source", "open_patron_source"]

_SNIFF_SIZE = 4096

# The leader of an ISO 2709 record (MARC 21, UNIMARC): the record length (5 digits), status,
# type, level, control, coding scheme (5 bytes), "22" (indicator and subfield code counts), the
# base address (5 digits), 3 more bytes, then the directory's entry map: "45" (the lengths of a
# field's length and start) and two bytes that systems fill in their own ways ("4500" in MARC
# 21, "450 " in UNIMARC, "4504" seen in the wild). The MARC reader says which it cannot read.
_MARC_LEADER = re.compile(rb"\d{5}[\x20-\x7e]{5}22\d{5}[\x20-\x7e]{3}45[\x20-\x7e]{2}")
# The first element of an XML file, past the declaration, comments and doctype.
_XML_ROOT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_BOM = b"\xef\xbb\xbf"
# An ISO 2709 record's field terminator and subfield delimiter: a file that starts with a
# record length (5 digits) and has both is records, not text.
_ISO2709_SEPARATORS = frozenset(b"\x1e\x1f")


def sniff_format(head: bytes) -> str:
    """The format of a file from its first bytes: "marcxml", "marc", "json" or "text"."""
    start = head[len(_BOM) :] if head.startswith(_BOM) else head
    start = start.lstrip()
    if start.startswith(b"<"):
        match = _XML_ROOT.search(start)
        root = match.group(1).decode("ascii", "replace") if match else ""
        if root in ("record", "collection"):
            return "marcxml"
        raise SourceError(
            _(
                "This is an XML file whose root element is <%(root)s>, not MARCXML (a "
                "<collection> or <record>). Export MARCXML, MARC, CSV or JSON from your old "
                "system."
            )
            % {"root": root or "?"}
        )
    if _MARC_LEADER.match(head):
        return "marc"
    if start[:1] in (b"{", b"["):
        return "json"
    if head[:5].isdigit() and _ISO2709_SEPARATORS.issubset(head):
        # Read as text, its first "line" would be the whole file, quoted back in the message
        # about the header row: say what it is in a few words instead.
        raise SourceError(
            _(
                "This file holds MARC-like records (ISO 2709: it has MARC's field separators), "
                "but it does not start with a MARC 21 leader (it starts with '%(start)s'). "
                "Export the records as MARC 21 (MARC21 or USMARC) or MARCXML and import that "
                "file."
            )
            % {"start": _shown(head[:24])}
        )
    return "text"


def _shown(data: bytes) -> str:
    return "".join(chr(byte) if 0x20 <= byte < 0x7F else "?" for byte in data)


def open_catalog_source(
    file: BinaryIO,
    *,
    format: str = "auto",
    encoding: str | None = None,
    size: int | None = None,
) -> Source:
    """The file opened for import in the format given, or found ("auto"). Raises
    ``SourceError`` when the file as a whole cannot be read (empty, no title column…)."""
    if format != "auto" and format not in FORMATS:
        raise SourceError(
            _("Unknown format '%(format)s'. Use one of: %(formats)s.")
            % {"format": format, "formats": ", ".join(("auto", *FORMATS))}
        )
    if size is None:
        size = file_size(file)
    kind = format
    if format in ("auto", "marc", "marcxml"):
        # Read ahead to sniff; a file that cannot seek back is served the bytes again.
        head = read_sample(file, _SNIFF_SIZE)
        if format == "auto":
            if not head.strip():
                raise SourceError(_("The file is empty. Check that you chose the right file."))
            kind = sniff_format(head)
        file = _rewound(file, head)
    if kind in ("marc", "marcxml"):
        # Imported by name when needed: the MARC reader (pymarc) lives in its own module, and
        # a text import should not pay for loading it.
        marc = importlib.import_module("interchange.formats.marc")
        open_marc_source: Callable[..., Source] = marc.open_marc_source
        return open_marc_source(file, kind=kind, encoding=encoding, size=size)
    if kind == "json":
        return JsonSource(file, size=size)
    layout = "auto" if kind == "text" else kind
    assert layout == "auto" or layout in LAYOUTS
    return TabularSource(file, format=layout, encoding=encoding, size=size)


def open_patron_source(
    file: BinaryIO, *, encoding: str | None = None, size: int | None = None
) -> PatronSource:
    """A patron file (delimited text) opened for import; ``records()`` yields
    ``PatronRecord``s."""
    return PatronSource(file, encoding=encoding, size=size)


def _rewound(file: BinaryIO, head: bytes) -> BinaryIO:
    """The file from its start again, after ``head`` was read from it."""
    try:
        if file.seekable():
            file.seek(-len(head), io.SEEK_CUR)
            return file
    except (AttributeError, OSError, ValueError):
        pass
    return cast(BinaryIO, io.BufferedReader(ByteCounter(file, head)))
