"""Books and copies as an import file gives them, for the bulk service's tests: plain text, as
``catalog.services.bulk.BookIn`` and ``CopyIn`` describe (no reader of interchange's)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CopyItem:
    barcode: str = ""
    call_number: str = ""
    location: str = ""
    loan_type: str = ""
    status: str = ""
    acquired_on: str = ""
    note: str = ""


@dataclass
class BookItem:
    title: str = ""
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    isbn: str = ""
    publisher: str = ""
    year: str = ""
    language: str = ""
    pages: str = ""
    description: str = ""
    subjects: list[str] = field(default_factory=list)
    copies: list[CopyItem] = field(default_factory=list)
