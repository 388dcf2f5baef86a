"""A MARC 21 bibliographic record (a pymarc ``Record``) -> a ``BookRecord``.

Only MARC's own conventions are undone here (ISBD punctuation, inverted names, "c2003.",
"xii, 356 p."); whether a value is acceptable is the catalog's rules' business, later.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pymarc import Field, Record

from interchange.languages import from_marc
from interchange.marc.names import name_from_field
from interchange.marc.punctuation import strip_isbd
from interchange.records import BookRecord, CopyRecord

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# For the import preview: which tags (and subfields) become which of our fields (by name), or
# what they give in words: the tags read, the tags read instead when those are missing, and what
# they give (words lazy: a run keeps them in its language).
_PLACES: tuple[tuple[str, str, StrOrPromise], ...] = (
    ("245 $a $n $p", "", "title"),
    ("245 $b", "", "subtitle"),
    ("100/700 $a (110/710 $a $b)", "", "authors"),
    ("020 $a", "", "isbn"),
    ("264 _1 $b", "260 $b", "publisher"),
    ("264 _1 $c", "260 $c, 008/07-10", "year"),
    ("008/35-37", "041 $a", "language"),
    ("300 $a", "", "pages"),
    ("520 $a", "", "description"),
    ("650 $a $x $y $z $v", "", "subjects"),
    ("050 $a $b", "082 $a, 090 $a $b", gettext_lazy("copies' call number when they have none")),
    (
        "852 $p $h $i $b $c",
        "",
        gettext_lazy("copies (barcode, call number, location; without $p: no barcode)"),
    ),
    (
        "876 $p $d $h $j $z",
        "",
        gettext_lazy("copies (matched by barcode: acquired, loan type, status, note)"),
    ),
    (
        "952 $p $o $c $d $z",
        "",
        gettext_lazy("copies (Koha: barcode, call number, location, acquired, note)"),
    ),
)
# The same, in English: "264 _1 $b (else 260 $b)" -> "publisher".
MAPPING: dict[str, StrOrPromise] = {
    f"{tags} (else {instead})" if instead else tags: gives for tags, instead, gives in _PLACES
}


def mapping_shown() -> dict[str, str]:
    """``MAPPING`` as the preview shows it, in the current language."""
    return {
        _("%(tags)s (else %(instead)s)") % {"tags": tags, "instead": instead}
        if instead
        else tags: str(gives)
        for tags, instead, gives in _PLACES
    }


_SUBJECT_SUBDIVISIONS = ("a", "x", "y", "z", "v")
_NAME = {"a": "authors", "b": "authors", "c": "authors"}
# Which subfields of which tags the mapping reads ("" for a control field), and the record's
# field each one gives: what decides whether a damaged field can be read past (a field that
# feeds nothing) or not. The same tags as MAPPING's (a test holds them together).
READ_FROM: dict[str, dict[str, str]] = {
    "008": {"": "year"},  # and language, at 35-37
    "020": {"a": "isbn"},
    "041": {"a": "language"},
    "050": {"a": "copies", "b": "copies"},
    "082": {"a": "copies"},
    "090": {"a": "copies", "b": "copies"},
    "100": _NAME,
    "110": {"a": "authors", "b": "authors"},
    "245": {"a": "title", "n": "title", "p": "title", "b": "subtitle"},
    "260": {"b": "publisher", "c": "year"},
    "264": {"b": "publisher", "c": "year"},
    "300": {"a": "pages"},
    "520": {"a": "description"},
    "650": dict.fromkeys(_SUBJECT_SUBDIVISIONS, "subjects"),
    "700": _NAME,
    "710": {"a": "authors", "b": "authors"},
    "852": dict.fromkeys("phibc", "copies"),
    "876": dict.fromkeys("pdhjz", "copies"),
    "952": dict.fromkeys("pocdz", "copies"),
}


def field_read_from(tag: str, code: str | None = None) -> str | None:
    """The record's field that ``tag`` (its subfield ``code``, when given) gives; None when
    the mapping does not read it."""
    read = READ_FROM.get(tag)
    if read is None or code is None:
        return None if read is None else next(iter(read.values()))
    return read.get(code)


_ISBN_SHAPE = re.compile(r"(?:97[89])?\d{9}[\dX]")
_PAGES = re.compile(r"(\d+)\s*(?:p\b|pages?\b|pp\b)", re.IGNORECASE)
_YEAR_BC = re.compile(r"(\d{1,4})\s*B\.?\s*C\b", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")
_ANY_DIGITS = re.compile(r"\d+")


def book_from_record(record: Record, number: int) -> BookRecord:
    book = BookRecord(number=number)
    title_field = record.get("245")
    if title_field is not None:
        book.title = strip_isbd(" ".join(title_field.get_subfields("a", "n", "p")))
        book.subtitle = strip_isbd(" ".join(title_field.get_subfields("b")))
    book.authors = _authors(record)
    book.isbn = _isbn(record)
    book.publisher, year_statement = _publication(record)
    book.year = _year(year_statement) or _year_from_008(record)
    book.language = _language(record)
    book.pages = _pages(record)
    book.description = "\n".join(
        value for field in record.get_fields("520") for value in field.get_subfields("a")
    )
    book.subjects = _subjects(record)
    book.copies = _copies(record, _call_number(record))
    return book


def _authors(record: Record) -> list[str]:
    names = [name_from_field(field) for field in record.get_fields("100", "110")]
    names += [name_from_field(field) for field in record.get_fields("700", "710")]
    return [name for name in names if name]


def _isbn(record: Record) -> str:
    """The first 020 $a shaped like an ISBN ("0140439510 (pbk.) :" -> "0140439510"); else the
    first $a as written, for the ISBN rule to explain what is wrong with it."""
    candidates = [value for field in record.get_fields("020") for value in field.get_subfields("a")]
    for value in candidates:
        first_word = value.strip().split(" ", 1)[0].split("(", 1)[0]
        digits = first_word.replace("-", "").upper()
        if _ISBN_SHAPE.fullmatch(digits):
            return digits
    return strip_isbd(candidates[0]) if candidates else ""


def _publication(record: Record) -> tuple[str, str]:
    """(publisher, date statement) from the publication 264 (second indicator 1), else 260."""
    for field in record.get_fields("264"):
        if field.indicator2 == "1":
            return _first_subfield(field, "b"), _first_subfield(field, "c")
    old_style = record.get("260")
    if old_style is not None:
        return _first_subfield(old_style, "b"), _first_subfield(old_style, "c")
    for field in record.get_fields("264"):  # a copyright date (264 _4 $c "©2003") at least
        if year := _first_subfield(field, "c"):
            return "", year
    return "", ""


def _first_subfield(field: Field, code: str) -> str:
    values = field.get_subfields(code)
    return strip_isbd(values[0]) if values else ""


def _year(statement: str) -> str:
    """ "c2003." / "[2003?]" / "2003-" / "1998, c1997" -> the first year; "300 B.C." -> "-300";
    "[19--]" -> "" (a decade is not a year)."""
    if match := _YEAR_BC.search(statement):
        return f"-{int(match.group(1))}"
    if match := _YEAR.search(statement):
        return match.group()
    numbers = _ANY_DIGITS.findall(statement)
    if len(numbers) == 1 and "-" not in statement:  # a year of the first millennium: "[868]"
        return str(int(numbers[0]))
    return ""


def _year_from_008(record: Record) -> str:
    fixed = record.get("008")
    date1 = fixed.data[7:11] if fixed is not None and fixed.data else ""
    return str(int(date1)) if len(date1) == 4 and date1.isdigit() else ""


def _language(record: Record) -> str:
    fixed = record.get("008")
    code = fixed.data[35:38] if fixed is not None and fixed.data else ""
    if from_marc(code):
        return from_marc(code)
    for field in record.get_fields("041"):
        for value in field.get_subfields("a"):
            return from_marc(value[:3])  # old records run codes together: "engfre"
    return ""


def _pages(record: Record) -> str:
    for field in record.get_fields("300"):
        for value in field.get_subfields("a"):
            if match := _PAGES.search(value):
                return match.group(1)
    return ""


def _subjects(record: Record) -> list[str]:
    subjects: dict[str, None] = {}  # ordered and without repeats
    for field in record.get_fields("650"):
        parts = [strip_isbd(sub.value) for sub in field if sub.code in _SUBJECT_SUBDIVISIONS]
        subject = " -- ".join(part for part in parts if part)
        if subject:
            subjects.setdefault(subject)
    return list(subjects)


def _call_number(record: Record) -> str:
    """The record's classification: LC (050 $a $b), else Dewey (082 $a, without the "/"
    prime marks that only show where to shorten it), else a local LC-style 090."""
    lc = record.get("050")
    if lc is not None and lc.get_subfields("a"):
        return " ".join(lc.get_subfields("a", "b")[:2])
    dewey = record.get("082")
    if dewey is not None and dewey.get_subfields("a"):
        return dewey.get_subfields("a")[0].replace("/", "")
    local = record.get("090")
    if local is not None and local.get_subfields("a"):
        return " ".join(local.get_subfields("a", "b")[:2])
    return ""


def _copies(record: Record, record_call_number: str) -> list[CopyRecord]:
    """A copy per holding (852) or item (952). One without a barcode ($p) comes all the same,
    with barcode "": most catalogs export holdings as call number and location only, and the
    import decides what to make of them (the reader never refuses a book for it)."""
    copies: list[CopyRecord] = []
    for field in record.get_fields("852", "952"):
        copy = _copy_from_852(field) if field.tag == "852" else _copy_from_952(field)
        copy.call_number = copy.call_number or record_call_number
        copies.append(copy)
    _add_item_details(record, copies)
    return copies


def _copy_from_852(field: Field) -> CopyRecord:
    return CopyRecord(
        barcode=_joined(field, "p"),
        call_number=_joined(field, "h", "i"),
        location=", ".join(field.get_subfields("b", "c")),
    )


def _copy_from_952(field: Field) -> CopyRecord:
    # Koha's items: $y (item type) and $a/$b (branches) are Koha's own codes, which mean
    # nothing here, so they are left out.
    return CopyRecord(
        barcode=_joined(field, "p"),
        call_number=_joined(field, "o"),
        location=_joined(field, "c"),
        acquired_on=_joined(field, "d"),
        note=_joined(field, "z"),
    )


def _add_item_details(record: Record, copies: list[CopyRecord]) -> None:
    """876 (item information, as our export writes it) adds to the copy with its barcode."""
    by_barcode = {copy.barcode: copy for copy in copies if copy.barcode}
    for field in record.get_fields("876"):
        copy = by_barcode.get(_joined(field, "p"))
        if copy is None:  # also an 876 without $p: it names no copy
            continue
        copy.acquired_on = _joined(field, "d") or copy.acquired_on
        copy.loan_type = _joined(field, "h") or copy.loan_type
        copy.status = _joined(field, "j") or copy.status
        copy.note = "\n".join(field.get_subfields("z")) or copy.note


def _joined(field: Field, *codes: str) -> str:
    return " ".join(value for value in field.get_subfields(*codes) if value)
