"""Reading text import files: bytes counted for the progress bar, the encoding and the delimiter
found, and rows read with their line numbers and the problems only the file's text can show
(undecodable bytes, zero bytes, a wrong number of cells, a quote never closed), each cell
as it was before an export guarded it against spreadsheets (``interchange.cells``).

The layouts (``tabular``, ``patrons``) turn the rows into records; nothing here knows what a
column means.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from interchange.cells import readable
from interchange.records import Problem, SourceError

# How much of the file the encoding and delimiter are guessed from. Large enough for the header
# and a few hundred rows, small enough to cost nothing.
SAMPLE_SIZE = 64 * 1024

# The error handler the text is decoded with: a byte the encoding cannot decode becomes a lone
# surrogate (U+DC00 + byte), like Python's "surrogateescape" but for every byte (UTF-16 needs that
# for bytes below 0x80). The row reader finds these and reports them, so nothing vanishes.
_UNDECODABLE_ERRORS = "shelfmark-undecodable"


def _undecodable_to_surrogates(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(_UNDECODABLE_ERRORS, _undecodable_to_surrogates)

_UNDECODABLE = re.compile("[\udc00-\udcff]")
_SUSPECT = re.compile("[\x00\udc00-\udcff]")


def show_undecodable(text: str) -> str:
    """The text with each undecodable byte written as ``\\xNN``, for the error report."""
    return _UNDECODABLE.sub(lambda match: f"\\x{ord(match.group()) - 0xDC00:02x}", text)


# --- bytes ----------------------------------------------------------------------------------


class ByteCounter(io.RawIOBase):
    """The file as a raw stream that counts the bytes taken from it (``bytes_read``, for the
    progress bar). ``prefix`` is what was read ahead to sniff the file, served again first, so a
    file that cannot seek (an upload, a pipe) is still read once."""

    def __init__(self, file: BinaryIO, prefix: bytes = b"") -> None:
        super().__init__()
        self._file = file
        self._prefix = memoryview(prefix)
        self.bytes_read = len(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        # (RawIOBase's stub types the buffer as the "WriteableBuffer" protocol; both kinds given
        # here are the ones io actually passes.)
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._file.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.bytes_read += count
        return count


def file_size(file: BinaryIO) -> int | None:
    """Bytes left in the file from where it stands, when the file can say (None otherwise)."""
    try:
        return os.fstat(file.fileno()).st_size - file.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    try:
        if file.seekable():
            here = file.tell()
            end = file.seek(0, io.SEEK_END)
            file.seek(here)
            return end - here
    except (AttributeError, OSError, ValueError):
        pass
    return None


def read_sample(file: BinaryIO, size: int = SAMPLE_SIZE) -> bytes:
    """Up to ``size`` bytes from the start (a short read from a pipe is not the end)."""
    chunks: list[bytes] = []
    wanted = size
    while wanted > 0:
        chunk = file.read(wanted)
        if not chunk:
            break
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


# --- encoding -------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    # "utf-16" reads the byte-order mark and drops it; Excel's "Unicode text" starts with one.
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer often ranks Central European or Baltic code pages level with Windows-1252
# for Western text (they share most letters); the Western one is what Excel writes in most of
# the world, so it wins a tie.
_PREFERRED_LEGACY = ("cp1252", "iso8859_15", "latin_1")
# The legacy encodings spreadsheets and old catalog programs write; charset-normalizer otherwise
# considers every code page Python has, and on a short file may pick a rare one (Mac Icelandic)
# that reads one accented letter slightly better.
_LEGACY_CANDIDATES = (
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1257",
    "mac_roman",
    "cp850",
    "cp437",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
)

_BINARY_SIGNATURES = (
    (b"PK\x03\x04", gettext_lazy("an Excel workbook (.xlsx) or another zip file")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("an old Excel workbook (.xls) or another Office file")),
    (b"%PDF", gettext_lazy("a PDF document")),
)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The encoding a text file is most likely in: a byte-order mark says it; else UTF-8 if the
    sample is valid UTF-8; else UTF-16 without a mark if every other byte is zero; else what
    charset-normalizer finds most likely (Windows-1252 when in doubt). ``complete`` says the
    sample is the whole file (so it may not end in the middle of a character)."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        if _mostly_utf8(sample):
            return "utf-8"
    else:
        return "utf-8"
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    return _legacy_encoding(sample)


def _mostly_utf8(sample: bytes) -> bool:
    """UTF-8 with a few bad bytes (a row pasted from elsewhere) is still UTF-8: its bad bytes
    are reported on their rows. Text in a legacy encoding almost never has a valid UTF-8
    sequence of two or more bytes, and has many bytes that are not UTF-8."""
    text = sample.decode("utf-8", _UNDECODABLE_ERRORS)
    bad = len(_UNDECODABLE.findall(text))
    good = sum(1 for ch in text if ch > "\x7f") - bad
    return good >= 1 and bad <= good


def _utf16_without_bom(sample: bytes) -> str | None:
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    zero_even = sample[0::2].count(0)
    zero_odd = sample[1::2].count(0)
    # Latin text in UTF-16 has a zero in nearly every other byte, and almost none in the others.
    if zero_odd > 0.4 * pairs and zero_even < 0.05 * pairs:
        return "utf-16-le"
    if zero_even > 0.4 * pairs and zero_odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _legacy_encoding(sample: bytes) -> str:
    from charset_normalizer import from_bytes  # imported here: only legacy files need it

    matches = from_bytes(sample, cp_isolation=list(_LEGACY_CANDIDATES))
    best = matches.best()
    if best is None:
        return "cp1252"
    level = [
        match.encoding
        for match in matches
        if match.chaos == best.chaos and match.coherence == best.coherence
    ]
    for encoding in _PREFERRED_LEGACY:
        if encoding in level:
            return encoding
    # charset-normalizer keeps one of the code pages that read the sample identically: when
    # Windows-1252 reads it the same, say Windows-1252.
    try:
        if sample.decode("cp1252") == str(best):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    return str(best.encoding)


def check_encoding_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise SourceError(
            _(
                "Unknown text encoding '%(encoding)s'. Give one Python knows, such as utf-8, "
                "cp1252 (Windows, Western Europe), latin-1 or utf-16."
            )
            % {"encoding": encoding}
        ) from None


def refuse_binary(sample: bytes, text: str) -> None:
    """A spreadsheet or other binary file given as text is refused with a next step, rather
    than read as thousands of rows of noise."""
    for signature, what in _BINARY_SIGNATURES:
        if sample.startswith(signature):
            raise SourceError(
                _(
                    "This looks like %(what)s, not a text file. Save it as CSV (in Excel: File > "
                    "Save As > CSV UTF-8) and import that file."
                )
                % {"what": what}
            )
    if not text:
        return
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n") + len(
        _UNDECODABLE.findall(text)
    )
    if controls > 0.05 * len(text):
        raise SourceError(
            _(
                "This does not look like a text file: it is full of control characters or bytes "
                "that are not text. Export the catalog as CSV, tab-separated text or JSON and "
                "import that file."
            )
        )


# --- delimiter ------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")


def detect_delimiter(text: str) -> str:
    """The delimiter of the header line: the one of comma, semicolon (Excel in many European
    locales) and tab it has most of, outside quotes; a comma when it has none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in counts:
            counts[ch] += 1
        elif ch in "\r\n":
            break
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# --- rows -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One row of the file: where it starts, its cells (stripped, padded to the header's
    length) and what is wrong with its text."""

    number: int
    cells: list[str]
    problems: list[Problem] = field(default_factory=list)


class TextTable:
    """A delimited text file opened for reading: encoding and delimiter found, the header read.
    ``rows()`` streams the data rows."""

    def __init__(
        self, file: BinaryIO, *, encoding: str | None = None, size: int | None = None
    ) -> None:
        self.size = size if size is not None else file_size(file)
        sample = read_sample(file)
        if not sample.strip(b" \t\r\n\x00"):
            raise SourceError(
                _(
                    "The file is empty: there is no header row and no data. Check that you "
                    "chose the right file."
                )
            )
        complete = self.size is not None and len(sample) >= self.size
        if encoding:
            self.encoding = check_encoding_name(encoding)
        else:
            self.encoding = detect_encoding(sample, complete=complete or len(sample) < SAMPLE_SIZE)
        sample_text = sample.decode(self.encoding, _UNDECODABLE_ERRORS)
        refuse_binary(sample, sample_text)
        self.delimiter = detect_delimiter(sample_text.lstrip("\ufeff"))
        self._counter = ByteCounter(file, sample)
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter, buffer_size=SAMPLE_SIZE),
            encoding=self.encoding,
            errors=_UNDECODABLE_ERRORS,
            newline="",  # the csv module finds line breaks itself, also inside quoted cells
        )
        self._reader = csv.reader(self._text, delimiter=self.delimiter)
        self.header = self._read_header()

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    def _read_header(self) -> list[str]:
        for cells in self._reader:
            if any(cell.strip() for cell in cells):
                return [cell.strip().lstrip("\ufeff").strip() for cell in cells]
        raise SourceError(_("The file has no header row: it holds only blank lines."))

    def rows(self) -> Iterator[Row]:
        """The data rows, blank ones skipped. A row with another number of cells than the
        header still comes (with a problem), so the error report shows it. Cells are as the
        file has them (the layouts strip the ones they read)."""
        width = len(self.header)
        reader = self._reader
        last_line = reader.line_num
        held: Row | None = None  # a row that may end in an unclosed quote: known at the next
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                cells = None
                problem = _broken_row(error)
            number = last_line + 1
            last_line = reader.line_num
            if held is not None:
                yield held
                held = None
            if cells is None:
                yield Row(number, [""] * width, [problem])
                continue
            if not cells:
                continue
            row = Row(number, cells)
            raw = "".join(cells)
            if _SUSPECT.search(raw):
                _report_text_problems(row, self.delimiter)
                cells = row.cells
            if "'" in raw:
                # A cell an export guarded against spreadsheets ("'=SUM(…)") holds "=SUM(…)".
                cells[:] = map(readable, cells)
            found = len(cells)
            if found != width:
                if found < width:
                    self._report_width(row, found=found)
                    cells.extend([""] * (width - found))
                else:
                    if any(cell.strip() for cell in cells[width:]):
                        self._report_width(row, found=found)
                    # Trailing empty cells (a spreadsheet's stray delimiters) lose nothing.
                    del cells[width:]
            if last_line > number and _ends_in_line_break(cells):
                held = row  # an unclosed quote if the file ends here
                continue
            yield row
        if held is not None:
            # A cell ending in a line break is what a quote left open reads as when the file
            # ends there (a closed quoted cell may end in a line break too).
            held.problems.append(_unclosed_quote(held.number, held.cells, self.delimiter))
            yield held

    def _report_width(self, row: Row, *, found: int) -> None:
        row.problems.append(
            Problem(
                "",
                ngettext(
                    "The row has %(found)d cell where the header has %(header)d: a delimiter "
                    "or quote may be missing or extra.",
                    "The row has %(found)d cells where the header has %(header)d: a delimiter "
                    "or quote may be missing or extra.",
                    found,
                )
                % {"found": found, "header": len(self.header)},
                _shorten(_raw(row.cells, self.delimiter)),
            )
        )


def _report_text_problems(row: Row, delimiter: str) -> None:
    raw = delimiter.join(row.cells)
    if _UNDECODABLE.search(raw):
        row.problems.append(
            Problem(
                "",
                _(
                    "The row has undecodable bytes (shown as \\xNN): the file is not all in one "
                    "encoding. Give the right one with --encoding, or fix these characters."
                ),
                _shorten(show_undecodable(raw)),
            )
        )
        row.cells = [show_undecodable(cell) for cell in row.cells]
    if "\x00" in raw:
        row.problems.append(
            Problem(
                "",
                _("The row has zero bytes (NUL) in it: the file may be damaged or not text."),
                _shorten(raw.replace("\x00", "\\x00")),
            )
        )


def _broken_row(error: csv.Error) -> Problem:
    reason = str(error)
    if "field larger than field limit" in reason:
        return Problem(
            "",
            _(
                "A cell is longer than the %(limit)s characters a cell may have (a quote may be "
                "missing, so that many rows were read as one cell); the rows right after it may "
                "be cut wrongly too."
            )
            % {"limit": csv.field_size_limit()},
        )
    return Problem("", _("The row cannot be read as CSV: %(reason)s.") % {"reason": reason})


def _ends_in_line_break(cells: list[str]) -> bool:
    return any(cell.endswith(("\n", "\r")) for cell in cells)


def _unclosed_quote(number: int, cells: list[str], delimiter: str) -> Problem:
    return Problem(
        "",
        _(
            'A quoted cell in the row starting on line %(number)s is never closed (a " is '
            "missing), so the rest of the file was read as part of that row."
        )
        % {"number": number},
        _shorten(_raw(cells, delimiter)),
    )


def _raw(cells: list[str], delimiter: str) -> str:
    return delimiter.join(cells)


def _shorten(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
