"""The interchange REST API under /api/v1/: the catalog as a download, and ISBN lookup for
adding books."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import Book
from interchange.api_examples import ISBN_LOOKUP_EXAMPLES
from interchange.exports.formats import EXPORT_FORMATS
from interchange.selectors import export_books
from interchange.serializers import IsbnLookupSerializer
from interchange.services.isbn import IsbnAnswer, isbn_lookup
from shelfmark.api.permissions import StaffModelPermissions
from shelfmark.api.schema import ErrorSerializer
from shelfmark.api.views import ResourceApi
from shelfmark.rows import Row


class ExportApi(ResourceApi):
    """The whole catalog — books with their authors, subjects and copies — as one file: CSV,
    JSON or MARCXML (`?format=`). The download starts at once and is streamed, so a large
    catalog never sits in memory; `manage.py import_catalog` reads each format back. Staff
    with the permission to view books (`catalog.view_book`)."""

    permission_classes = [StaffModelPermissions]
    pagination_class = None

    def get_scope(self) -> Any:
        return Book.objects.all()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ?format= names the file's format here, not DRF's response renderer; the answer is a
        # file, and an error the project's JSON error.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        operation_id="export_catalog",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=sorted(EXPORT_FORMATS),
                required=True,
                description="csv: one row per copy; json: Shelfmark's catalog document; "
                "marcxml: MARC 21 records.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"format": "shelfmark-catalog", "version": 1, "books": […]}',
            ),
            (200, "application/marcxml+xml"): OpenApiResponse(OpenApiTypes.BINARY),
            400: OpenApiResponse(description="No or an unknown `format`."),
        },
        tags=["export"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        name = request.query_params.get("format", "")
        export = EXPORT_FORMATS.get(name)
        if export is None:
            raise exceptions.ValidationError(
                {
                    "format": [
                        _("Choose one of: %(formats)s.")
                        % {"formats": ", ".join(sorted(EXPORT_FORMATS))}
                    ]
                }
            )
        chunks = (chunk.encode() for chunk in export.write(export_books()))
        response = StreamingHttpResponse(chunks, content_type=export.content_type)
        filename = f"shelfmark-catalog-{timezone.localdate():%Y-%m-%d}.{export.extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class AddsBooks(StaffModelPermissions):
    message = gettext_lazy("Only staff accounts that add books may look up ISBNs.")


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
