"""The fines API (settings.FINES_ENABLED; with it off every answer here is a 404
`fines_disabled`): the ledger, a payment towards a patron's fines, a charge waived."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from circulation.api import CirculationAccess, CirculationApi
from circulation.filters import FineFilter
from circulation.models import FineEntry, Patron
from circulation.selectors import rows
from circulation.selectors.fines import FINE_ROWS, fines_visible_to, patron_balance
from circulation.serializers import (
    FineEntrySerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    WaiveInputSerializer,
)
from circulation.services.fines import fine_payment, fine_waive, fines_refuse_when_disabled
from shelfmark.api.idempotency import IdempotentPost
from shelfmark.api.schema import ErrorSerializer
from shelfmark.api.views import ActionApi, ListMixin, RetrieveMixin

DISABLED = OpenApiResponse(
    ErrorSerializer, description="Fines are off here (`fines_disabled`), or no such entry."
)


class FinesOnly:
    """A fines endpoint: a 404 `fines_disabled` where the library charges none (after the
    account's checks, so an anonymous client is still asked to sign in)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # a mixin of ResourceApi views
        fines_refuse_when_disabled()


class FineApi(FinesOnly, CirculationApi):
    row_shape = FINE_ROWS
    list_url_name = "fine-list"
    serializer_class = FineEntrySerializer
    # Lazy: the API kit fills it in ({pk}) per request, in the request's language.
    not_found_message = cast(str, gettext_lazy("No fine entry with id {pk}."))

    def get_scope(self) -> QuerySet[FineEntry]:
        return fines_visible_to(self.request.user)


@extend_schema_view(
    get=extend_schema(responses={200: FineEntrySerializer(many=True), 404: DISABLED})
)
class FineListApi(ListMixin, FineApi):
    """The fines ledger, the newest first: charges (an overdue loan's fine, or what it grew
    by), payments and waivers; `waivable` is what is left to waive of a charge. Staff see
    every patron's (`?patron=` narrows it), with circulation.view_fineentry; a patron their
    own. A balance is the charges less the payments and waivers."""

    filterset_class = FineFilter
    patron_methods = ("GET",)
    ordering_fields = {"id": ("id",)}
    ordering_default = "-id"


@extend_schema_view(get=extend_schema(responses={200: FineEntrySerializer, 404: DISABLED}))
class FineDetailApi(RetrieveMixin, FineApi):
    """One entry of the ledger."""

    patron_methods = ("GET",)


@extend_schema_view(
    post=extend_schema(
        request=WaiveInputSerializer,
        responses={201: FineEntrySerializer, 404: DISABLED, 409: ErrorSerializer},
    )
)
class FineWaiveApi(IdempotentPost, ActionApi, FineApi):
    """Waive what is left of a charge, with a note saying why: a waiver entry of that amount
    (no more than the patron still owes). 409 `nothing_to_waive`, `not_a_charge`. Staff with
    circulation.add_fineentry."""

    input_serializer_class = WaiveInputSerializer

    def perform_action(self, obj: FineEntry, data: dict[str, Any]) -> FineEntry:
        return fine_waive(charge=obj, note=data["note"], actor=self.request.user)

    def action_response(self, obj: FineEntry, result: FineEntry) -> Response:
        return self.row_response(result, status.HTTP_201_CREATED)


class PaymentAccess(CirculationAccess):
    """Staff who may add fine entries (the payment is one), whatever the scope's model."""

    def has_model_permission(self, request: Any, view: Any) -> bool:
        if request.user.has_perm("circulation.add_fineentry"):
            return True
        self.message = gettext_lazy(
            "Your account may not take payments (permission circulation.add_fineentry); ask an "
            "administrator."
        )
        return False


@extend_schema_view(
    post=extend_schema(
        request=PaymentInputSerializer,
        responses={201: PaymentSerializer, 404: DISABLED, 409: ErrorSerializer},
    )
)
class PatronPaymentApi(FinesOnly, IdempotentPost, ActionApi, CirculationApi):
    """Take a payment towards a patron's fines: `amount` (more than 0, two decimals at most,
    no more than they owe: 409 `payment_exceeds_balance`) and an optional `note`. Staff with
    circulation.add_fineentry. With an Idempotency-Key, a payment sent twice is taken once."""

    permission_classes = [PaymentAccess]
    row_shape = FINE_ROWS
    serializer_class = FineEntrySerializer
    input_serializer_class = PaymentInputSerializer

    def get_scope(self) -> QuerySet[Patron]:
        return rows.patrons_visible_to(self.request.user)

    def perform_action(self, obj: Patron, data: dict[str, Any]) -> FineEntry:
        return fine_payment(
            patron=obj, amount=data["amount"], note=data["note"], actor=self.request.user
        )

    def action_response(self, obj: Patron, result: FineEntry) -> Response:
        row = FINE_ROWS.rows(FineEntry.objects.filter(pk=result.pk)).get()
        (body,) = self.present_as(FINE_ROWS, [row], list_url_name="fine-list")
        balance = str(patron_balance(obj.pk))
        return Response({**body, "balance": balance}, status=status.HTTP_201_CREATED)
