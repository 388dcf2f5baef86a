"""The stocktakes API under /api/v1/stocktakes/."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from shelfmark.api.permissions import StaffModelPermissions
from shelfmark.api.views import ActionApi, CreateMixin, ListMixin, ResourceApi
from shelfmark.rows import Row
from stocktake import selectors, services
from stocktake.models import SURPRISES, Stocktake
from stocktake.serializers import (
    CloseSerializer,
    MarkMissingSerializer,
    ScanInputSerializer,
    ScanSerializer,
    StocktakeDetailSerializer,
    StocktakeInputSerializer,
    StocktakeSerializer,
)


class StocktakeApi(ResourceApi):
    """Staff with the stocktake model permissions (the Librarians group has them)."""

    permission_classes = [StaffModelPermissions]
    row_shape = selectors.STOCKTAKE_ROWS
    list_url_name = "stocktake-list"
    serializer_class = StocktakeSerializer
    # The kit fills in {pk} with str.format, in the request's language (a lazy text).
    not_found_message = cast("str", gettext_lazy("No stocktake with id {pk}."))

    def get_scope(self) -> QuerySet[Stocktake]:
        return Stocktake.objects.all()

    def detail_row(self, stocktake: Stocktake) -> Row:
        """The stocktake's row with what it expects and has not seen yet, and its url."""
        row = selectors.stocktake_detail(stocktake)
        url = reverse("stocktake-detail", kwargs={"pk": stocktake.pk})
        return {"id": row["id"], "url": self.request.build_absolute_uri(url), **row}


class StocktakeListApi(ListMixin, CreateMixin, StocktakeApi):
    """Stocktakes, the latest first. POST starts one, of the whole library or of a shelf range
    (a `location` and call numbers `call_number_from` to `call_number_to`, each optional)."""

    input_serializer_class = StocktakeInputSerializer
    ordering_fields = {"started_at": ("started_at", "id")}
    ordering_default = "-started_at"

    def create_object(self, data: dict[str, Any]) -> Stocktake:
        return services.stocktake_start(**data, by=self.request.user)


@extend_schema_view(get=extend_schema(responses=StocktakeDetailSerializer))
class StocktakeDetailApi(StocktakeApi):
    """One stocktake, with how many copies it expects on its shelves and how many of those no
    scan has seen yet."""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.detail_row(self.get_object()))


@extend_schema_view(
    post=extend_schema(request=ScanInputSerializer, responses={201: ScanSerializer})
)
class StocktakeScanApi(ActionApi, StocktakeApi):
    """Scan a copy into an open stocktake: the copy is seen today (its `last_seen`), and the
    answer says at once what the scan found — `seen`, `already_seen`, or a surprise to look
    at: `on_loan` (a return not checked in), `on_hold_shelf`, `not_available` (marked lost,
    missing, withdrawn…), `elsewhere` (another location or call number range), `unknown` (no
    copy has the barcode). 409 `stocktake_closed` once it is closed."""

    input_serializer_class = ScanInputSerializer
    model_permission_actions = {"POST": "change"}

    def perform_action(self, obj: Stocktake, data: dict[str, Any]) -> services.ScanResult:
        return services.stocktake_scan(stocktake=obj, barcode=data["barcode"], by=self.request.user)

    def action_response(self, obj: Stocktake, result: services.ScanResult) -> Response:
        scan = result.scan
        return Response(
            {
                "id": scan.pk,
                "barcode": scan.barcode,
                "outcome": scan.outcome,
                "surprise": scan.outcome in SURPRISES,
                "message": result.message,
                "copy": scan.copy_id,
                "copy_status": scan.copy_status,
                "book_title": result.book_title,
                "scanned_at": scan.scanned_at,
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(post=extend_schema(request=None, responses=CloseSerializer))
class StocktakeCloseApi(ActionApi, StocktakeApi):
    """Close the stocktake (no more scans) and list the copies it expected and did not see,
    by call number. Closing a closed stocktake lists them again."""

    model_permission_actions = {"POST": "change"}

    def perform_action(self, obj: Stocktake, data: dict[str, Any]) -> Stocktake:
        return services.stocktake_close(stocktake=obj, by=self.request.user)

    def action_response(self, obj: Stocktake, result: Stocktake) -> Response:
        return Response(
            {"stocktake": self.detail_row(result), "not_seen": selectors.not_seen_rows(result)}
        )


@extend_schema_view(post=extend_schema(request=None, responses=MarkMissingSerializer))
class StocktakeMarkMissingApi(ActionApi, StocktakeApi):
    """Mark missing every copy the closed stocktake expected and did not see, among those still
    on the shelf (a copy lent since is not missing). Needs `catalog.change_copy` too. 409
    `stocktake_open` before it is closed; a second time marks none."""

    model_permission_actions = {"POST": "change"}

    def perform_action(self, obj: Stocktake, data: dict[str, Any]) -> int:
        return services.stocktake_mark_missing(stocktake=obj, by=self.request.user)

    def action_response(self, obj: Stocktake, result: int) -> Response:
        return Response({"stocktake": self.detail_row(obj), "marked": result})
