"""MARCXML export: a ``<collection>`` of MARC 21 bibliographic records with embedded holdings,
written one record at a time, that ``interchange.formats.marc`` reads back to the same values.

Per book (subfields exactly):

- leader ``00000nam a2200000 i 4500``: a book (n, a, m), UTF-8 (09 "a"), ISBD punctuation (18 "i")
- 008: date entered ``||||||`` (not coded: an export of the same catalog is the same file),
  date type and date 1 from the year (``s2003``; ``n uuuu`` unknown; ``b`` before the common
  era), language at 35-37 (``to_marc``)
- 020 ``$a`` ISBN-13
- 100 (first author) and 700 (the others), ``interchange.marc.names`` says how
- 245 ``1 0`` (``0 0`` without authors): ``$a`` title (``" :"`` before a subtitle), ``$b`` subtitle
- 264 ``_1``: ``$b`` publisher (``","`` before a date), ``$c`` year ("2003.", "300 B.C.")
- 300 ``$a`` "356 pages", 520 ``$a`` description, 650 ``_4`` per subject, in the book's order
  (a subject written "Cats -- Fiction" goes as ``$a Cats $x Fiction``)
- per copy: 852 ``$b`` location ``$h`` call number ``$p`` barcode, and 876 (item information)
  ``$p`` barcode (the link to its 852) ``$d`` acquired (ISO date) ``$h`` loan type (MARC's "use
  restrictions") ``$j`` status (MARC's "item status") ``$z`` note
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from xml.etree import ElementTree

from pymarc import Field, Indicators, Record, Subfield
from pymarc.marcxml import record_to_xml_node

from interchange.languages import to_marc
from interchange.marc.names import field_for_name
from interchange.marc.punctuation import protected, with_separator, with_terminal_period
from interchange.marc.xml import MARC_NAMESPACE
from interchange.records import ExportBook, ExportCopy

LEADER = "00000nam a2200000 i 4500"
# Where each declared column (``interchange.columns``) goes, as the docstring above says: the
# column guard test (``interchange/tests/test_columns.py``) fails for a column without a place
# here, and reads each one back through the MARC reader.
MARC_PLACES: Mapping[str, str] = {
    "title": "245 $a",
    "subtitle": "245 $b",
    "authors": "100, 700",
    "isbn": "020 $a",
    "publisher": "264 $b",
    "year": "008/07-10, 264 $c",
    "language": "008/35-37",
    "subjects": "650 $a $x",
    "description": "520 $a",
    "pages": "300 $a",
    "barcode": "852 $p, 876 $p",
    "call_number": "852 $h",
    "location": "852 $b",
    "loan_type": "876 $h",
    "status": "876 $j",
    "acquired_on": "876 $d",
    "note": "876 $z",
}
# Characters XML 1.0 cannot hold at all (not even as &#…;): C0 controls but tab and line
# breaks, surrogates, U+FFFE and U+FFFF. The catalog's rules keep the controls out already.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def marcxml_export(books: Iterable[ExportBook]) -> Iterator[str]:
    """The MARCXML document, in pieces (the declaration and root, then one record each)."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARC_NAMESPACE}">\n'
    for book in books:
        node = record_to_xml_node(record_for_book(book))
        # A carriage return in a description would come back as a line feed (XML parsers
        # normalise line ends): write it as a character reference, which they keep.
        yield ElementTree.tostring(node, encoding="unicode").replace("\r", "&#13;") + "\n"
    yield "</collection>\n"


def record_for_book(book: ExportBook) -> Record:
    record = Record(leader=LEADER, force_utf8=True)
    record.add_field(Field(tag="008", data=_fixed_field(book)))
    if book["isbn"]:
        record.add_field(_field("020", "  ", [("a", book["isbn"])]))
    for position, author in enumerate(book["authors"]):
        record.add_field(field_for_name("100" if position == 0 else "700", _safe(author)))
    if book["title"] or book["subtitle"]:
        record.add_field(_title_field(book))
    if book["publisher"] or book["year"] is not None:
        record.add_field(_publication_field(book))
    if book["pages"] is not None:
        record.add_field(_field("300", "  ", [("a", f"{book['pages']} pages")]))
    if book["description"]:
        record.add_field(_field("520", "  ", [("a", _safe(book["description"]))]))
    for subject in book["subjects"]:
        record.add_field(_subject_field(_safe(subject)))
    for copy in book["copies"]:
        record.add_field(_location_field(copy))
        if details := _item_field(copy):
            record.add_field(details)
    return record


def _fixed_field(book: ExportBook) -> str:
    year = book["year"]
    if year is None:
        dates = "nuuuu"
    elif year < 0:
        dates = "b    "
    else:
        dates = f"s{year:04d}"
    language = to_marc(book["language"])
    language = language if len(language) == 3 else "und"
    # 15-17 place "xx " (unknown); 18-34 book details not coded (blanks, "0" where the format
    # wants a digit, "|" for literary form); 38 not modified; 39 "d" other cataloging source.
    book_details = " " * 11 + "000 | "
    fixed = f"||||||{dates}    xx {book_details}{language} d"
    assert len(fixed) == 40, fixed
    return fixed


def _title_field(book: ExportBook) -> Field:
    title, subtitle = _safe(book["title"]), _safe(book["subtitle"])
    subfields = []
    if subtitle:
        subfields = [("a", with_separator(title, " :")), ("b", with_terminal_period(subtitle))]
    else:
        subfields = [("a", with_terminal_period(title))]
    return _field("245", ("1" if book["authors"] else "0") + "0", subfields)


def _publication_field(book: ExportBook) -> Field:
    year = book["year"]
    date = (
        "" if year is None else (f"{-year} B.C." if year < 0 else with_terminal_period(str(year)))
    )
    publisher = _safe(book["publisher"])
    subfields = []
    if publisher:
        subfields.append(
            ("b", with_separator(publisher, ",") if date else with_terminal_period(publisher))
        )
    if date:
        subfields.append(("c", date))
    return _field("264", " 1", subfields)


def _subject_field(subject: str) -> Field:
    parts = subject.split(" -- ")
    if len(parts) == 1 or not all(parts):
        parts = [subject]
    codes = ["a"] + ["x"] * (len(parts) - 1)
    values = [protected(part) for part in parts[:-1]] + [with_terminal_period(parts[-1])]
    return _field("650", " 4", list(zip(codes, values, strict=True)))


def _location_field(copy: ExportCopy) -> Field:
    subfields = [("b", copy["location"]), ("h", copy["call_number"]), ("p", copy["barcode"])]
    return _field("852", "  ", [(code, _safe(value)) for code, value in subfields if value])


def _item_field(copy: ExportCopy) -> Field | None:
    acquired = copy["acquired_on"].isoformat() if copy["acquired_on"] else ""
    details = [
        ("d", acquired),
        ("h", copy["loan_type"]),
        ("j", copy["status"]),
        ("z", _safe(copy["note"])),
    ]
    details = [(code, value) for code, value in details if value]
    if not details:
        return None
    return _field("876", "  ", [("p", _safe(copy["barcode"])), *details])


def _field(tag: str, indicators: str, subfields: list[tuple[str, str]]) -> Field:
    return Field(
        tag=tag,
        indicators=Indicators(indicators[0], indicators[1]),
        subfields=[Subfield(code=code, value=value) for code, value in subfields],
    )


def _safe(text: str) -> str:
    return _NOT_XML.sub("", text)
