"""Examples for the ISBN lookup's documentation (OpenAPI)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

BASE = "https://library.example.org"
_EMPTY: dict[str, Any] = {
    "book": None,
    "book_url": None,
    "title": "",
    "subtitle": "",
    "authors": [],
    "publisher": "",
    "year": None,
    "language": "",
    "pages": None,
    "subjects": [],
    "description": "",
    "cover_url": None,
    "copies": [],
}

ISBN_LOOKUP_EXAMPLES = [
    OpenApiExample(
        "Found at Open Library",
        value={
            "isbn": "9780141439518",
            "source": "openlibrary",
            **_EMPTY,
            "title": "Pride and Prejudice",
            "authors": ["Jane Austen"],
            "publisher": "Penguin Books",
            "year": 2003,
            "language": "en",
            "pages": 480,
            "subjects": ["Courtship", "England -- Fiction"],
            "cover_url": "https://covers.openlibrary.org/b/id/8739161-L.jpg",
            "reason": "",
            "message": "",
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "In the catalog",
        value={
            "isbn": "9780141439518",
            "source": "catalog",
            **_EMPTY,
            "book": 7,
            "book_url": f"{BASE}/api/v1/books/7/",
            "title": "Pride and Prejudice",
            "authors": ["Jane Austen"],
            "cover_url": f"{BASE}/books/7/cover?v=3f9a0c5e21b4",
            "copies": [
                {
                    "id": 12,
                    "url": f"{BASE}/api/v1/copies/12/",
                    "barcode": "B-000012",
                    "book": 7,
                    "book_title": "Pride and Prejudice",
                    "call_number": "823.7 AUS",
                    "location": "Fiction",
                    "status": "available",
                    "loan_type": "normal",
                    "acquired_on": None,
                    "note": "",
                    "created_at": "2026-11-02T10:15:00Z",
                    "updated_at": "2026-11-02T10:15:00Z",
                }
            ],
            "reason": "",
            "message": "“Pride and Prejudice” is in the catalog already.",
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Open Library unavailable",
        value={
            "isbn": "9780141439518",
            "source": "none",
            **_EMPTY,
            "reason": "unavailable",
            "message": (
                "Open Library could not be asked: Open Library did not answer in time. Enter "
                "the book's details by hand, or try again in a minute."
            ),
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Refused: malformed ISBN",
        value={
            "error": {
                "status": 400,
                "code": "invalid",
                "message": "Invalid ISBN check digit.",
                "fields": {"isbn": ["Invalid ISBN check digit."]},
            }
        },
        response_only=True,
        status_codes=["400"],
    ),
]
