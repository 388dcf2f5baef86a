"""MARC 21 in ISO 2709 ("binary", .mrc) read through pymarc's ``MARCReader``, one record at a
time, with the resynchronisation pymarc lacks: after a record whose length lies or which is cut
short, reading goes on at the next record terminator (0x1D)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from pymarc import MARCReader, Record
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

from interchange.marc.excerpts import excerpt
from interchange.marc.mapping import MAPPING, book_from_record
from interchange.records import BookRecord, Problem, SourceError

END_OF_RECORD = 0x1D
END_OF_FIELD = 0x1E
SUBFIELD_DELIMITER = 0x1F
LEADER_LENGTH = 24
# Some systems put a line break (or NULs) between records; it carries nothing.
PADDING = b"\r\n\x00\x1a"
# A leader: record length and base address in digits, the rest printable ASCII.
LEADER_SHAPE = re.compile(rb"\d{5}[\x20-\x7e]{7}\d{5}[\x20-\x7e]{7}")
VALID_INDICATORS = frozenset(b" 0123456789abcdefghijklmnopqrstuvwxyz|")
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
    encoding: str | None = None  # each record says its own: leader/09 "a" UTF-8, blank MARC-8
    mapping = MAPPING

    def __init__(self, file: BinaryIO, *, size: int | None = None) -> None:
        self._stream = _Stream(file)
        self._size = size
        self._stream.skip_padding()
        _check_looks_like_marc(self._stream.peek(LEADER_LENGTH))

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
            if record is not None:
                yield _book(record, chunk, number)
                continue
            error = reader.current_exception
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
    # Leader/09 decides each record's encoding (UTF-8 or MARC-8), so force_utf8 stays off;
    # bytes that are not valid UTF-8 raise ("strict") and make a Problem, rather than being
    # silently replaced. MARC-8 characters pymarc cannot map become spaces (it would print
    # warnings on stderr; hide them).
    return MARCReader(
        stream,  # type: ignore[arg-type]  # reads like a binary file; MARCReader only calls read()
        to_unicode=True,
        force_utf8=False,
        utf8_handling="strict",
        hide_utf8_warnings=True,
    )


def _check_looks_like_marc(start: bytes) -> None:
    if not start:
        raise SourceError("The file is empty: there are no MARC records in it.")
    if LEADER_SHAPE.match(start):
        return
    if start.lstrip(b"\xef\xbb\xbf \t").startswith(b"<"):
        hint = "It looks like XML: if it is MARCXML, import it as MARCXML."
    elif start.lstrip().startswith((b"{", b"[")):
        hint = "It looks like JSON: import it as JSON."
    else:
        hint = "If it is a spreadsheet or a text export, import it as CSV."
    raise SourceError(
        "This file is not MARC 21: a MARC record starts with a 24-character leader whose first "
        f"five characters are digits (the record's length), but the file starts with "
        f"'{excerpt(start, 24)}'. {hint}"
    )


def _book(record: Record, chunk: bytes, number: int) -> BookRecord:
    problems = _structure_problems(chunk)
    if record.leader[9] != "a" and not chunk.isascii() and _is_utf8(chunk):
        # A record that says MARC-8 (leader/09 blank) but whose bytes are valid UTF-8 was
        # mislabelled by its exporter; MARC-8 text almost never is valid UTF-8 by chance.
        record = Record(chunk, to_unicode=True, force_utf8=True, utf8_handling="strict")
    book = book_from_record(record, number)
    book.problems[:0] = problems
    return book


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _structure_problems(chunk: bytes) -> list[Problem]:
    """What pymarc lets through silently: directory entries pointing past the record's data
    (their fields come out empty), fields not ending where the directory says, indicators that
    are missing or not letters, digits or blanks."""
    base = int(chunk[12:17])
    directory = chunk[LEADER_LENGTH : base - 1]
    problems = []
    for start in range(0, len(directory) - 11, 12):
        tag = directory[start : start + 3].decode("ascii", "replace")
        length = int(directory[start + 3 : start + 7])
        offset = int(directory[start + 7 : start + 12])
        field_start, field_end = base + offset, base + offset + length
        if field_end > len(chunk) - 1 or chunk[field_end - 1] != END_OF_FIELD:
            problems.append(
                Problem(
                    field="",
                    reason=(
                        f"The record's directory says field {tag} is {length} bytes at offset "
                        f"{offset}, but no field ends there: the record is damaged. Export it "
                        "again from the system it came from."
                    ),
                    value=excerpt(chunk[field_start:field_end]),
                )
            )
        elif tag >= "010" and (
            length < 3
            or chunk[field_start + 2] != SUBFIELD_DELIMITER
            or chunk[field_start] not in VALID_INDICATORS
            or chunk[field_start + 1] not in VALID_INDICATORS
        ):
            problems.append(
                Problem(
                    field="",
                    reason=(
                        f"Field {tag} does not start with two indicators (letters, digits or "
                        "blanks) followed by a subfield: the record is damaged."
                    ),
                    value=excerpt(chunk[field_start:field_end]),
                )
            )
    return problems


# Why pymarc refused a record, in words for a librarian.
_REASONS: list[tuple[type[BaseException], str]] = [
    (RecordLengthInvalid, "The record does not start with its length (five digits)"),
    (TruncatedRecord, "The file ends in the middle of this record: it was probably cut short"),
    (
        EndOfRecordNotFound,
        "The record's length in its leader does not match where the record ends",
    ),
    (RecordLeaderInvalid, "The record's leader (its first 24 characters) is incomplete"),
    (BaseAddressNotFound, "The record's leader gives no start for its data (leader/12-16)"),
    (BaseAddressInvalid, "The record's leader puts the start of its data past its end"),
    (RecordDirectoryInvalid, "The record's directory (the list of its fields) is damaged"),
    (NoFieldsFound, "The record has no fields"),
    (UnicodeDecodeError, "The record's text cannot be decoded"),
    (ValueError, "The record's leader or directory holds something other than digits"),
]


def _broken(chunk: bytes, error: BaseException | None, number: int) -> BookRecord:
    reason = next(
        (text for kind, text in _REASONS if isinstance(error, kind)),
        "The record cannot be read",
    )
    if isinstance(error, UnicodeDecodeError):
        encoding = "UTF-8" if chunk[9:10] == b"a" else "MARC-8"
        reason += f" as {encoding}, which its leader (position 09) says it is"
    reason += " (skipped; reading went on with the next record)."
    book = BookRecord(number=number)
    book.problems.append(Problem(field="", reason=reason, value=excerpt(chunk)))
    return book
