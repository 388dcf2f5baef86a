"""An ISO 2709 record's bytes -> a pymarc ``Record``, with every damaged place found.

pymarc frames the records (``binary``); the fields are split and their text decoded here, so
that nothing is read past in silence:

- A field whose directory entry points outside the record, or a data field that does not start
  with two indicators and a subfield, is left out and reported (``FieldDamage`` kind
  "directory" or "indicators"); the caller decides, by what the field feeds, whether the
  record can go in without it.
- Text is decoded in the encoding its bytes are in, found as well as the data allows, whatever
  leader/09 says: UTF-8 if they are valid UTF-8 that reads as text; MARC-8 if they read as
  MARC-8 with nothing lost (and, when the leader says UTF-8, with accents as a Latin script has
  them); a Cyrillic code page (Windows-1251, KOI8-R, DOS 866) if the text is plainly Russian in
  one of them. ``Reading.assumed`` says when that is not what the leader says. When none reads
  cleanly, the leader's encoding is used and each damaged subfield reported (kind "text"):
  lost characters are U+FFFD, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from pymarc import Field, Indicators, Leader, Record, Subfield

from interchange.formats.integrity import (
    UNDECODABLE_BYTES,
    accents_plainly_written,
    guess_cyrillic,
    text_damage,
)
from interchange.marc.excerpts import excerpt
from interchange.marc.marc8 import ESCAPE, decode_marc8

UTF8, MARC8 = "utf-8", "marc-8"
END_OF_FIELD = 0x1E
SUBFIELD_DELIMITER = 0x1F
LEADER_LENGTH = 24
VALID_INDICATORS = frozenset(b" 0123456789abcdefghijklmnopqrstuvwxyz|")


@dataclass(slots=True)
class RawField:
    tag: str
    data: bytes = b""  # a control field's (001-009)
    indicators: str = ""  # a data field's two
    subfields: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def is_control(self) -> bool:
        return self.tag < "010" and self.tag.isdigit()


@dataclass(slots=True)
class FieldDamage:
    kind: str  # "directory", "indicators" or "text"
    tag: str
    code: str  # the subfield's code ("" for the field as a whole)
    what: str  # in words
    value: str  # an excerpt, for the report


@dataclass(slots=True)
class Reading:
    record: Record
    encoding: str  # UTF8, MARC8 or a Python codec's name
    assumed: bool  # True when that is not the encoding the record's leader declares
    damage: list[FieldDamage]


def declared_encoding(chunk: bytes) -> str:
    return UTF8 if chunk[9:10] == b"a" else MARC8


def split_fields(chunk: bytes) -> tuple[list[RawField], list[FieldDamage]]:
    """The record's fields in directory order, and those left out as damaged. Raises
    ``ValueError`` when the directory itself cannot be read (pymarc would have refused it)."""
    base = int(chunk[12:17])
    directory = chunk[LEADER_LENGTH : base - 1]
    fields: list[RawField] = []
    damage: list[FieldDamage] = []
    for start in range(0, len(directory) - 11, 12):
        tag = directory[start : start + 3].decode("ascii", "replace")
        length = int(directory[start + 3 : start + 7])
        offset = int(directory[start + 7 : start + 12])
        field_start, field_end = base + offset, base + offset + length
        data = chunk[field_start : field_end - 1]
        if field_end > len(chunk) - 1 or chunk[field_end - 1] != END_OF_FIELD:
            damage.append(
                FieldDamage(
                    "directory",
                    tag,
                    "",
                    _("%(length)s bytes at offset %(offset)s, but no field ends there")
                    % {"length": length, "offset": offset},
                    excerpt(chunk[field_start:field_end]),
                )
            )
            continue
        raw = RawField(tag)
        if raw.is_control:
            raw.data = data
            fields.append(raw)
            continue
        head, _delimiter, rest = data.partition(bytes([SUBFIELD_DELIMITER]))
        if len(head) != 2 or not VALID_INDICATORS.issuperset(head):
            damage.append(
                FieldDamage(
                    "indicators",
                    tag,
                    "",
                    _(
                        "it does not start with two indicators (letters, digits or blanks) "
                        "followed by a subfield"
                    ),
                    excerpt(data),
                )
            )
        # Read as well as it goes all the same (as pymarc does: missing indicators are blanks,
        # extra ones dropped), so that the report shows what the record holds.
        raw.indicators = "".join(
            chr(byte) if byte in VALID_INDICATORS else " " for byte in (head + b"  ")[:2]
        )
        for part in rest.split(bytes([SUBFIELD_DELIMITER])):
            if part:
                raw.subfields.append((part[:1].decode("latin-1"), part[1:]))
        fields.append(raw)
    return fields, damage


def read_fields(chunk: bytes, fields: list[RawField], *, encoding: str | None) -> Reading:
    """The record with its text decoded: in ``encoding`` when given (the person importing knows
    better than the file), else as the module's docstring says."""
    declared = declared_encoding(chunk)
    if encoding is not None:
        return _decoded(chunk, fields, encoding, assumed=False)
    texts = [value for raw in fields for _, value in raw.subfields]
    joined = b"\x1f".join(texts)
    if joined.isascii() and ESCAPE not in joined:
        return _decoded(chunk, fields, declared, assumed=False)
    candidates = [UTF8, MARC8] if declared == UTF8 or not joined.isascii() else [MARC8]
    for candidate in candidates:
        if candidate == UTF8 and not _is_utf8(joined):
            continue
        reading = _decoded(chunk, fields, candidate, assumed=candidate != declared)
        if reading.damage:
            continue
        if reading.assumed and candidate == MARC8 and not _plain(reading):
            continue
        return reading
    cyrillic = guess_cyrillic(joined)
    if cyrillic is not None:
        reading = _decoded(chunk, fields, cyrillic, assumed=True)
        if not reading.damage:
            return reading
    return _decoded(chunk, fields, declared, assumed=False)


def _decoded(chunk: bytes, fields: list[RawField], encoding: str, *, assumed: bool) -> Reading:
    decoded: list[Field] = []
    damage: list[FieldDamage] = []
    for raw in fields:
        if raw.is_control:
            control_encoding = "latin-1" if encoding == MARC8 else encoding
            decoded.append(Field(tag=raw.tag, data=raw.data.decode(control_encoding, "replace")))
            continue
        subfields = []
        for code, value in raw.subfields:
            text, what = _decode_text(value, encoding)
            if what:
                damage.append(FieldDamage("text", raw.tag, code, ", ".join(what), excerpt(text)))
            subfields.append(Subfield(code=code, value=text))
        decoded.append(
            Field(tag=raw.tag, indicators=Indicators(*raw.indicators), subfields=subfields)
        )
    record = Record(fields=decoded)
    record.leader = Leader(chunk[:LEADER_LENGTH].decode("latin-1"))
    return Reading(record, encoding, assumed, damage)


def _decode_text(value: bytes, encoding: str) -> tuple[str, list[str]]:
    """A subfield's text and what in it is damaged, in words."""
    if encoding == MARC8:
        decoded = decode_marc8(value)
        text, what = decoded.text, list(decoded.damage)
    else:
        text = value.decode(encoding, "replace")
        what = []
    undecodable = str(UNDECODABLE_BYTES)
    for damage in text_damage(text, accents=encoding != UTF8):
        if damage != undecodable or not what:
            what.append(damage)
    return text, what


def _plain(reading: Reading) -> bool:
    return accents_plainly_written(
        " ".join(
            subfield.value
            for record_field in reading.record.fields
            if not record_field.is_control_field()
            for subfield in record_field.subfields
        )
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
