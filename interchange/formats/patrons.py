"""Patron files: a delimited text file with a row per patron (name, card number, email, phone,
category, expiry, the language of their notices), read with the same encoding, line-number and
problem rules as book files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext as _

from interchange.formats.tabular import IGNORED, header_key
from interchange.formats.text import TextTable
from interchange.records import PatronRecord, SourceError

PATRON_COLUMNS = (
    "name",
    "card_number",
    "email",
    "phone",
    "category",
    "expires_on",
    "language",
)

_ALIASES = {
    "name": ("name", "full name", "patron", "patron name", "borrower"),
    # A person's name in two columns is joined "First Last".
    "first_name": ("first name", "firstname", "given name", "forename"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "card_number": (
        "card number",
        "card_number",
        "card",
        "card no",
        "library card",
        "barcode",
        "patron barcode",
    ),
    "email": ("email", "e-mail", "email address", "mail"),
    "phone": ("phone", "telephone", "phone number", "mobile", "tel"),
    "category": ("category", "class", "patron category", "patron type", "type"),
    "expires_on": ("expires_on", "expiry", "expires", "expiry date", "expiration", "valid until"),
    "language": ("language", "lang", "preferred language", "notices language"),
}
_COLUMNS = {header_key(alias): field for field, aliases in _ALIASES.items() for alias in aliases}


class PatronSource:
    """Like a book ``Source``, but ``records()`` yields ``PatronRecord``s."""

    format = "csv"

    def __init__(
        self, file: BinaryIO, *, encoding: str | None = None, size: int | None = None
    ) -> None:
        self._table = TextTable(file, encoding=encoding, size=size)
        self.encoding: str | None = self._table.encoding
        self.mapping: dict[str, str] = {}
        self._plan: list[tuple[str, int]] = []
        taken: set[str] = set()
        for index, name in enumerate(self._table.header):
            field = _COLUMNS.get(header_key(name))
            shown = name or _("(column %(number)s)") % {"number": index + 1}
            if field is None or field in taken:
                self.mapping[shown] = IGNORED
                continue
            taken.add(field)
            self.mapping[shown] = field if field in PATRON_COLUMNS else "name"
            self._plan.append((field, index))
        if "name" not in taken and "last_name" not in taken:
            found = ", ".join(f'"{name}"' for name in self._table.header if name) or _("none")
            raise SourceError(
                _(
                    "No name column: the file's header row has %(found)s. A patron file needs a "
                    "'name' column (or 'first name' and 'last name'); the columns read are "
                    "%(expected)s (in any order, any case)."
                )
                % {"found": found, "expected": ", ".join(PATRON_COLUMNS)}
            )

    @property
    def bytes_read(self) -> int:
        return self._table.bytes_read

    @property
    def size(self) -> int | None:
        return self._table.size

    def records(self) -> Iterator[PatronRecord]:
        plan = self._plan
        for row in self._table.rows():
            cells = row.cells
            values = {field: value for field, index in plan if (value := cells[index].strip())}
            get = values.get
            name = get("name") or " ".join(
                part for part in (get("first_name", ""), get("last_name", "")) if part
            )
            yield PatronRecord(
                row.number,
                name=name,
                card_number=get("card_number", ""),
                email=get("email", ""),
                phone=get("phone", ""),
                category=get("category", ""),
                expires_on=get("expires_on", ""),
                language=get("language", ""),
                problems=row.problems,
            )
