"""MARCXML read with expat, streaming: the file is fed in blocks and each ``<record>`` becomes
a pymarc ``Record`` as soon as it closes, so memory holds one record, never the file.

Safety: MARCXML needs no document type, so a ``<!DOCTYPE>`` is refused outright; with it go
entity definitions, hence external entities and "billion laughs" (expat 2.4+ also limits entity
amplification itself)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.parsers import expat

from django.utils.translation import gettext as _
from pymarc import Field, Indicators, Leader, Record

from interchange.marc.decoding import VALID_INDICATORS
from interchange.marc.excerpts import excerpt
from interchange.marc.mapping import book_from_record, mapping_shown
from interchange.records import BookRecord, Problem, SourceError

MARC_NAMESPACE = "http://www.loc.gov/MARC21/slim"
READ_BLOCK = 64 * 1024
_SEPARATOR = "\x01"  # between namespace and local name in expat's element names


class _DoctypeRefused(Exception):
    pass


class _RecordBuilder:
    """Expat's events -> pymarc records (with the problems only the XML shows)."""

    def __init__(self) -> None:
        self.finished: list[tuple[Record, list[Problem]]] = []
        self.records_seen = 0
        self.collection_seen = False  # an empty <collection/> is a file of no records
        self._record: Record | None = None
        self._problems: list[Problem] = []
        self._field: Field | None = None
        self._code: str | None = None
        self._text: list[str] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        element = _marc_element(name)
        self._text = []
        if element == "collection":
            self.collection_seen = True
        elif element == "record":
            self.records_seen += 1
            self._record, self._problems = Record(), []
        elif self._record is None:
            return
        elif element == "controlfield":
            self._field = Field(tag=self._tag(attributes, element), data="")
        elif element == "datafield":
            indicators = [attributes.get("ind1", " "), attributes.get("ind2", " ")]
            if any(len(i) != 1 or ord(i) not in VALID_INDICATORS for i in indicators):
                self._problem(
                    _(
                        "Field %(tag)s has indicators %(indicators)s; each must be one letter, "
                        "digit or blank."
                    )
                    % {"tag": attributes.get("tag", "?"), "indicators": repr(indicators)},
                    str(attributes),
                )
                indicators = [i[:1] or " " for i in indicators]
            self._field = Field(
                tag=self._tag(attributes, element),
                indicators=Indicators(*indicators),
                subfields=[],
            )
        elif element == "subfield":
            self._code = attributes.get("code")
            if not self._code:
                self._problem(_("A <subfield> has no code attribute."), str(attributes))

    def end(self, name: str) -> None:
        element = _marc_element(name)
        text = "".join(self._text)
        self._text = []
        record, field = self._record, self._field
        if record is None:
            return
        if element == "record":
            self.finished.append((record, self._problems))
            self._record = None
        elif element == "leader":
            if len(text) != 24:
                self._problem(_("The record's leader is not 24 characters long."), text)
                text = (text + " " * 24)[:24]
            record.leader = Leader(text)
        elif element == "controlfield" and field is not None:
            field.data = text
            record.add_field(field)
            self._field = None
        elif element == "datafield" and field is not None:
            record.add_field(field)
            self._field = None
        elif element == "subfield" and field is not None and self._code:
            field.add_subfield(self._code, text)
            self._code = None

    def characters(self, data: str) -> None:
        self._text.append(data)

    def _tag(self, attributes: dict[str, str], element: str) -> str:
        tag = attributes.get("tag", "")
        if len(tag) != 3:
            self._problem(
                _("A <%(element)s> has no three-character tag.") % {"element": element},
                str(attributes),
            )
        return tag or "???"

    def _problem(self, reason: str, value: str) -> None:
        self._problems.append(Problem(field="", reason=reason, value=excerpt(value)))


def _marc_element(name: str) -> str:
    """The local name of a MARCXML element (in the MARC namespace or in none); "" otherwise
    (an OAI-PMH envelope's own <record>, for one)."""
    namespace, _, local = name.rpartition(_SEPARATOR)
    return local if namespace in ("", MARC_NAMESPACE) else ""


def _refuse_doctype(*_: object) -> None:
    raise _DoctypeRefused


class MarcXmlSource:
    format = "marcxml"
    encoding: str | None
    mapping: dict[str, str]

    def __init__(self, file: BinaryIO, *, encoding: str | None, size: int | None) -> None:
        self._file = file
        self._size = size
        self.mapping = mapping_shown()
        self._bytes_read = 0
        # Expat reads the encoding from the XML declaration (UTF-8 without one); a caller's
        # encoding overrides it, for a file whose declaration is wrong.
        self.encoding = encoding or "utf-8"
        self._builder = _RecordBuilder()
        self._parser = expat.ParserCreate(encoding, namespace_separator=_SEPARATOR)
        self._parser.buffer_text = True
        self._parser.ordered_attributes = False
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser.StartDoctypeDeclHandler = _refuse_doctype
        self._parser.EntityDeclHandler = _refuse_doctype
        self._parser.StartElementHandler = self._builder.start
        self._parser.EndElementHandler = self._builder.end
        self._parser.CharacterDataHandler = self._builder.characters
        self._first_block = file.read(READ_BLOCK)
        _check_looks_like_xml(self._first_block)

    @property
    def bytes_read(self) -> int:
        return self._bytes_read

    @property
    def size(self) -> int | None:
        return self._size

    def records(self) -> Iterator[BookRecord]:
        builder = self._builder
        number = 0
        block, self._first_block = self._first_block, b""
        while True:
            self._bytes_read += len(block)
            try:
                self._parser.Parse(block, not block)
            except _DoctypeRefused:
                raise SourceError(
                    _(
                        "This MARCXML file declares a document type (<!DOCTYPE …>), which "
                        "MARCXML never needs and which could make the file load other files: "
                        "remove the <!DOCTYPE …> line and import it again."
                    )
                ) from None
            except expat.ExpatError as error:
                for record, problems in builder.finished:  # those that closed before the break
                    number += 1
                    yield _book(record, problems, number)
                if number == 0 and builder.records_seen == 0:
                    raise SourceError(
                        _(
                            "This file is not well-formed XML (%(error)s), so it cannot be read "
                            "as MARCXML. If it is MARC 21 (.mrc), import it as MARC."
                        )
                        % {"error": _describe(error)}
                    ) from None
                yield _broken_xml(error, number + 1)
                return
            for record, problems in builder.finished:
                number += 1
                yield _book(record, problems, number)
            builder.finished.clear()
            if not block:
                break
            block = self._file.read(READ_BLOCK)
        if number == 0 and not builder.collection_seen:
            raise SourceError(
                _(
                    "This XML file holds no MARC records: MARCXML has <record> elements in the "
                    "namespace %(namespace)s (or in none). Check that it is a MARCXML export."
                )
                % {"namespace": MARC_NAMESPACE}
            )


def _book(record: Record, problems: list[Problem], number: int) -> BookRecord:
    book = book_from_record(record, number)
    book.problems[:0] = problems
    return book


def _describe(error: expat.ExpatError) -> str:
    return _("%(error)s at line %(line)s, column %(column)s") % {
        "error": expat.ErrorString(error.code),
        "line": error.lineno,
        "column": error.offset + 1,
    }


def _broken_xml(error: expat.ExpatError, number: int) -> BookRecord:
    book = BookRecord(number=number)
    book.problems.append(
        Problem(
            field="",
            reason=_(
                "The XML is broken here (%(error)s): this record and any after it cannot be "
                "read. Fix the file there and import the rest again."
            )
            % {"error": _describe(error)},
            value=_("line %(line)s, column %(column)s")
            % {"line": error.lineno, "column": error.offset + 1},
        )
    )
    return book


def _check_looks_like_xml(start: bytes) -> None:
    if not start.strip():
        raise SourceError(_("The file is empty: there are no MARC records in it."))
    text = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    if (
        not text.startswith(b"<")
        and not text.startswith(b"\xff\xfe")
        and not text.startswith(b"\xfe\xff")
    ):
        raise SourceError(
            _(
                "This file is not XML (it should start with '<'; it starts with '%(start)s'). "
                "If it is MARC 21 (.mrc), import it as MARC."
            )
            % {"start": excerpt(start, 24)}
        )
