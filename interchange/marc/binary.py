"""MARC 21 in ISO 2709 ("binary", .mrc) framed by pymarc's ``MARCReader``, one record at a
time, with the resynchronisation pymarc lacks: after a record whose length lies or which is cut
short, reading goes on at the next record terminator (0x1D). Each record's fields and text are
read by ``interchange.marc.decoding``, which finds damage pymarc reads past in silence; this
module says what each damage costs the record (``REFUSED_WHEN_DAMAGED``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pymarc import MARCReader
from pymarc.exceptions import (
    BaseAddressInvalid,
    BaseAddressNotFound,
    EndOfRecordNotFound,
    FatalReaderError,
    NoFieldsFound,
    RecordDirectoryInvalid,
    RecordLeaderInvalid,
    RecordLengthInvalid,
    TruncatedRecord,
)

from interchange.formats.text import check_encoding_name
from interchange.marc.damage import encoding_assumed, report_damage
from interchange.marc.decoding import MARC8, declared_encoding, read_fields, split_fields
from interchange.marc.excerpts import excerpt
from interchange.marc.mapping import book_from_record, mapping_shown
from interchange.records import BookRecord, Problem, SourceError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

END_OF_RECORD = 0x1D
LEADER_LENGTH = 24
# Some systems put a line break (or NULs) between records; it carries nothing.
PADDING = b"\r\n\x00\x1a"
# A leader: record length and base address in digits, the rest printable ASCII.
LEADER_SHAPE = re.compile(rb"\d{5}[\x20-\x7e]{7}\d{5}[\x20-\x7e]{7}")
READ_BLOCK = 64 * 1024


class _Stream:
    """The file as pymarc reads it, with bytes that were read too far put back, and a count
    of what has been consumed (for the progress bar). Reads go through a buffer of blocks, so
    that looking ahead (a peek for padding between records) costs no copying."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._buffer = b""
        self._position = 0  # in _buffer
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        available = len(self._buffer) - self._position
        if size < 0 or size > available:
            wanted = READ_BLOCK if size < 0 else max(size - available, READ_BLOCK)
            more = self._file.read(wanted) if size >= 0 else self._file.read()
            self._buffer = self._buffer[self._position :] + more
            self._position = 0
            size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        data = self._buffer[self._position : self._position + size]
        self._position += len(data)
        self.consumed += len(data)
        return data

    def unread(self, data: bytes) -> None:
        self._buffer = data + self._buffer[self._position :]
        self._position = 0
        self.consumed -= len(data)

    def peek(self, size: int) -> bytes:
        data = self.read(size)
        self._position -= len(data)
        self.consumed -= len(data)
        return data

    def skip_padding(self) -> None:
        while (byte := self.peek(1)) and byte in PADDING:
            self.read(1)

    def read_through_terminator(self) -> bytes:
        """The bytes up to and including the next record terminator (or the end of file)."""
        parts = []
        while block := self.read(READ_BLOCK):
            end = block.find(END_OF_RECORD)
            if end >= 0:
                self.unread(block[end + 1 :])
                parts.append(block[: end + 1])
                break
            parts.append(block)
        return b"".join(parts)


class MarcBinarySource:
    format = "marc"
    # Each record says its own (leader/09 "a" UTF-8, blank MARC-8) and ``decoding`` checks it;
    # an encoding given by the person importing overrides every record's.
    encoding: str | None = None
    mapping: dict[str, str]

    def __init__(
        self, file: BinaryIO, *, encoding: str | None = None, size: int | None = None
    ) -> None:
        self._stream = _Stream(file)
        self._size = size
        self.mapping = mapping_shown()
        self.encoding = _encoding_named(encoding) if encoding else None
        self._stream.skip_padding()
        start = self._stream.peek(LEADER_LENGTH)
        _check_looks_like_marc(start)
        _check_not_unimarc(self._stream.peek(int(start[:5])))

    @property
    def bytes_read(self) -> int:
        return self._stream.consumed

    @property
    def size(self) -> int | None:
        return self._size

    def records(self) -> Iterator[BookRecord]:
        number = 0
        reader = _reader(self._stream)
        while True:
            self._stream.skip_padding()
            try:
                record = next(reader)
            except StopIteration:
                return
            number += 1
            chunk: bytes = reader.current_chunk or b""
            error = reader.current_exception
            if record is not None or isinstance(error, UnicodeDecodeError):
                # pymarc only frames the record; ``decoding`` reads its fields (and reads past
                # the indicators pymarc cannot decode, which it reports).
                try:
                    book = _book(chunk, number, self.encoding)
                except ValueError as unreadable:  # the directory holds other than digits
                    book = _broken(chunk, unreadable, number)
                yield book
                continue
            if isinstance(error, FatalReaderError):
                # pymarc stops for good after a framing error; we find the next record's start
                # and carry on with a fresh reader.
                chunk = self._resynchronise(chunk)
                reader = _reader(self._stream)
            yield _broken(chunk, error, number)

    def _resynchronise(self, chunk: bytes) -> bytes:
        """The bytes of the broken record: up to its terminator, whether that lies inside what
        pymarc read (the rest goes back to be read) or further on."""
        end = chunk.find(END_OF_RECORD)
        if end >= 0:
            self._stream.unread(chunk[end + 1 :])
            return chunk[: end + 1]
        return chunk + self._stream.read_through_terminator()


def _reader(stream: _Stream) -> MARCReader:
    # No decoding by pymarc (to_unicode off): its MARC-8 decoder drops what it cannot read
    # without a word, and it trusts leader/09; ``decoding`` does both with reports.
    return MARCReader(
        stream,  # type: ignore[arg-type]  # reads like a binary file; MARCReader only calls read()
        to_unicode=False,
    )


def _encoding_named(name: str) -> str:
    """The encoding the person importing gave: MARC-8 ("marc8", "marc-8") or one Python knows."""
    if name.lower().replace("-", "").replace("_", "") == "marc8":
        return MARC8
    return check_encoding_name(name)


def _check_not_unimarc(first_record: bytes) -> None:
    """UNIMARC (Europe's other MARC) has ISO 2709's shape but other tags: its title is in 200,
    where MARC 21 has 245. Read as MARC 21 it would give books without titles, one refusal per
    record: say so once."""
    try:
        fields, _damage = split_fields(first_record)
    except ValueError:
        return  # a broken first record: reading it reports what is wrong
    tags = {raw.tag for raw in fields}
    if "200" in tags and "245" not in tags:
        raise SourceError(
            _(
                "This file looks like UNIMARC (its records have the title in field 200), not "
                "MARC 21, which Shelfmark reads. Export the records as MARC 21 (MARC21 or "
                "USMARC), or convert them (for instance with MarcEdit or yaz-marcdump), and "
                "import that file."
            )
        )


def _check_looks_like_marc(start: bytes) -> None:
    if not start:
        raise SourceError(_("The file is empty: there are no MARC records in it."))
    if LEADER_SHAPE.match(start):
        return
    if start.lstrip(b"\xef\xbb\xbf \t").startswith(b"<"):
        hint = _("It looks like XML: if it is MARCXML, import it as MARCXML.")
    elif start.lstrip().startswith((b"{", b"[")):
        hint = _("It looks like JSON: import it as JSON.")
    else:
        hint = _("If it is a spreadsheet or a text export, import it as CSV.")
    problem = _(
        "This file is not MARC 21: a MARC record starts with a 24-character leader whose first "
        "five characters are digits (the record's length), but the file starts with '%(start)s'."
    ) % {"start": excerpt(start, 24)}
    raise SourceError(f"{problem} {hint}")  # two sentences


def _book(chunk: bytes, number: int, encoding: str | None) -> BookRecord:
    fields, damage = split_fields(chunk)
    reading = read_fields(chunk, fields, encoding=encoding)
    book = book_from_record(reading.record, number)
    if reading.assumed:
        declared = declared_encoding(chunk)
        book.warnings.append(encoding_assumed(declared, reading.encoding))
    for found in damage + reading.damage:
        report_damage(book, found)
    return book


# Why pymarc refused a record, in words for a librarian.
_REASONS: list[tuple[type[BaseException], StrOrPromise]] = [
    (RecordLengthInvalid, gettext_lazy("The record does not start with its length (five digits)")),
    (
        TruncatedRecord,
        gettext_lazy("The file ends in the middle of this record: it was probably cut short"),
    ),
    (
        EndOfRecordNotFound,
        gettext_lazy("The record's length in its leader does not match where the record ends"),
    ),
    (
        RecordLeaderInvalid,
        gettext_lazy("The record's leader (its first 24 characters) is incomplete"),
    ),
    (
        BaseAddressNotFound,
        gettext_lazy("The record's leader gives no start for its data (leader/12-16)"),
    ),
    (
        BaseAddressInvalid,
        gettext_lazy("The record's leader puts the start of its data past its end"),
    ),
    (
        RecordDirectoryInvalid,
        gettext_lazy("The record's directory (the list of its fields) is damaged"),
    ),
    (NoFieldsFound, gettext_lazy("The record has no fields")),
    (
        ValueError,
        gettext_lazy("The record's leader or directory holds something other than digits"),
    ),
]


def _broken(chunk: bytes, error: BaseException | None, number: int) -> BookRecord:
    why = next(
        (text for kind, text in _REASONS if isinstance(error, kind)),
        gettext_lazy("The record cannot be read"),
    )
    reason = _("%(reason)s (skipped; reading went on with the next record).") % {"reason": why}
    book = BookRecord(number=number)
    book.problems.append(Problem(field="", reason=reason, value=excerpt(chunk)))
    return book
