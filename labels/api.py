"""The labels API: ``POST /api/v1/labels/`` answers a PDF of labels for the copies named."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from catalog.models import Copy
from labels.printing import LabelRequest, labels_print
from labels.serializers import LabelRequestSerializer
from shelfmark.api.permissions import StaffModelPermissions
from shelfmark.api.schema import ErrorSerializer
from shelfmark.api.views import ResourceApi


class PrintsLabels(StaffModelPermissions):
    message = gettext_lazy("Only staff accounts may print labels.")


class LabelsApi(ResourceApi):
    """A PDF of labels for copies: barcode labels (the library's name, the copy's barcode in
    Code 128 or Code 39 with its text, a short title) or spine labels (the call number on
    lines, a short title), laid out for a label sheet or a roll printer.

    Name the copies in exactly one way: `copies` (barcodes, in the order wanted),
    `import_run` (the copies a catalog import added), `added_since` (a date) or `q` (the copies
    of the books a search finds); at most 3,000 at a time. Anything the labels cannot show
    (an unknown barcode, a barcode Code 39 cannot write or too long for the label, a spine
    label without a call number, a start position off the sheet) is a 400 naming each, before
    any page is drawn. Staff with the permission to view copies (`catalog.view_copy`)."""

    permission_classes = [PrintsLabels]
    model_permission_actions = {"POST": "view"}  # printing reads copies; it changes nothing
    input_serializer_class = LabelRequestSerializer
    serializer_class = LabelRequestSerializer

    def get_scope(self) -> Any:
        return Copy.objects.all()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer is a PDF whatever the client accepts (Accept: application/pdf included);
        # an error is the project's JSON error.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        operation_id="labels_print",
        request=LabelRequestSerializer,
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            400: OpenApiResponse(
                ErrorSerializer,
                description="No or several sources, an unknown barcode or import, or labels "
                "that cannot be printed as asked (`error.problems` lists each reason).",
            ),
        },
        tags=["labels"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        printed = labels_print(LabelRequest(**self.validated_input()))
        response = HttpResponse(printed.pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{printed.filename}"'
        response["X-Label-Count"] = str(printed.count)
        return response
