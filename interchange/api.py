"""Interchange REST API: ISBN lookup (for adding books)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import Book
from interchange.api_examples import ISBN_LOOKUP_EXAMPLES
from interchange.serializers import IsbnLookupSerializer
from interchange.services.isbn import IsbnAnswer, isbn_lookup
from shelfmark.api.permissions import StaffModelPermissions
from shelfmark.api.schema import ErrorSerializer
from shelfmark.api.views import ResourceApi
from shelfmark.rows import Row


class AddsBooks(StaffModelPermissions):
    message = "Only staff accounts that add books may look up ISBNs."


class IsbnLookupApi(ResourceApi):
    """Look up an ISBN (10 or 13 digits, hyphens allowed) before adding a book: the catalog's
    book and its copies when the library has it, else the details Open Library has (title,
    authors, publisher, year, language, pages, subjects, description, cover) to confirm and
    add with `POST /books/`.

    When Open Library is down or slow the answer is still a 200, with `source` `none`, `reason`
    `unavailable` and a `message`: the lookup is an aid, and a client goes on with the details
    typed by hand. A malformed ISBN is a 400. Staff with `catalog.add_book` only.
    """

    permission_classes = [AddsBooks]
    # The permission asks for the add permission on the scope's model (books): a lookup is for
    # adding them.
    model_permission_actions = {"GET": "add"}
    serializer_class = IsbnLookupSerializer

    def get_scope(self) -> QuerySet[Book]:
        return Book.objects.all()

    @extend_schema(
        responses={
            200: IsbnLookupSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Not an ISBN (`error.fields.isbn`)."),
        },
        examples=ISBN_LOOKUP_EXAMPLES,
    )
    def get(self, request: Request, isbn: str, *args: Any, **kwargs: Any) -> Response:
        return Response(self.represent(isbn_lookup(isbn)))

    def represent(self, answer: IsbnAnswer) -> dict[str, Any]:
        metadata = answer.metadata
        cover = metadata.cover_url if metadata and metadata.cover_url else None
        if cover and cover.startswith("/"):  # the catalog's own cover view
            cover = self.request.build_absolute_uri(cover)
        book_url = None
        if answer.book_id is not None:
            book_url = self.request.build_absolute_uri(
                reverse("book-detail", kwargs={"pk": answer.book_id})
            )
        return {
            "isbn": answer.isbn,
            "source": answer.source.value,
            "book": answer.book_id,
            "book_url": book_url,
            "title": metadata.title if metadata else "",
            "subtitle": metadata.subtitle if metadata else "",
            "authors": list(metadata.authors) if metadata else [],
            "publisher": metadata.publisher if metadata else "",
            "year": metadata.year if metadata else None,
            "language": metadata.language if metadata else "",
            "pages": metadata.pages if metadata else None,
            "subjects": list(metadata.subjects) if metadata else [],
            "description": metadata.description if metadata else "",
            "cover_url": cover,
            "copies": self.with_urls(answer.copies),
            "reason": answer.reason,
            "message": answer.message,
        }

    def with_urls(self, copies: list[Row]) -> list[Row]:
        """Copy rows (presented already) with their API URLs, as the copies' own views give."""
        prefix = self.request.build_absolute_uri(reverse("copy-list"))
        return [{"id": row["id"], "url": f"{prefix}{row['id']}/", **row} for row in copies]
