"""The demo catalog: classic and public-domain works shipped in catalog/data/demo_catalog.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from catalog import services
from catalog.models import Book, Copy

DEMO_CATALOG = Path(__file__).resolve().parent / "data" / "demo_catalog.json"
BARCODE_PREFIX = "DEMO"


@dataclass
class DemoLoadReport:
    books_created: int = 0
    books_present: int = 0
    copies_created: int = 0


def demo_entries(path: Path = DEMO_CATALOG) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["books"]


@transaction.atomic
def demo_catalog_load(path: Path = DEMO_CATALOG) -> DemoLoadReport:
    """Load the demo catalog; running it again adds nothing (books are matched by ISBN, or by
    title and first author, and copies by their demo barcode)."""
    report = DemoLoadReport()
    for number, entry in enumerate(demo_entries(path), start=1):
        author_names = [author["name"] for author in entry["authors"]]
        book = _existing_book(entry, author_names)
        if book is None:
            book = services.book_create(
                title=entry["title"],
                subtitle=entry.get("subtitle", ""),
                authors=author_names,
                isbn=entry.get("isbn") or None,
                publisher=entry.get("publisher", ""),
                year=entry.get("year"),
                language=entry.get("language", ""),
                pages=entry.get("pages"),
                description=entry.get("description", ""),
                subjects=entry.get("subjects", []),
            )
            _set_sort_names(book, entry["authors"])
            report.books_created += 1
        else:
            report.books_present += 1
        for copy_number in range(1, entry.get("copies", 0) + 1):
            barcode = f"{BARCODE_PREFIX}-{number:04d}-{copy_number}"
            if not Copy.objects.filter(barcode=barcode).exists():
                services.copy_create(
                    book=book,
                    barcode=barcode,
                    call_number=_call_number(entry),
                    location="Main shelves",
                )
                report.copies_created += 1
    return report


def _existing_book(entry: dict, author_names: list[str]) -> Book | None:
    if entry.get("isbn"):
        return Book.objects.filter(isbn=entry["isbn"]).first()
    books = Book.objects.filter(title=entry["title"])
    if author_names:
        books = books.filter(book_authors__position=0, book_authors__author__name=author_names[0])
    return books.first()


def _set_sort_names(book: Book, authors: list[dict]) -> None:
    for link, author in zip(book.book_authors.select_related("author"), authors, strict=False):
        if author.get("sort_name") and link.author.sort_name != author["sort_name"]:
            services.author_update(author=link.author, sort_name=author["sort_name"])


def _call_number(entry: dict) -> str:
    first_author = entry["authors"][0]["sort_name"] if entry["authors"] else entry["title"]
    return first_author[:3].upper()
