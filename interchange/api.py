"""The interchange REST API under /api/v1/: the catalog as a download."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from catalog.models import Book
from interchange.exports.formats import EXPORT_FORMATS
from interchange.selectors import export_books
from shelfmark.api.permissions import StaffModelPermissions
from shelfmark.api.views import ResourceApi


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
            (200, fmt.content_type.split(";")[0]): OpenApiResponse(OpenApiTypes.BINARY)
            for fmt in EXPORT_FORMATS.values()
        }
        | {400: OpenApiResponse(description="No or an unknown `format`.")},
        tags=["export"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        name = request.query_params.get("format", "")
        export = EXPORT_FORMATS.get(name)
        if export is None:
            raise exceptions.ValidationError(
                {"format": [f"Choose one of: {', '.join(sorted(EXPORT_FORMATS))}."]}
            )
        chunks = (chunk.encode() for chunk in export.write(export_books()))
        response = StreamingHttpResponse(chunks, content_type=export.content_type)
        filename = f"shelfmark-catalog-{timezone.localdate():%Y-%m-%d}.{export.extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
