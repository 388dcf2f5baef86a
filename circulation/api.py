"""Circulation REST API: patron categories, patrons, checkout and check-in, loans, holds, and a
patron's own summary (/me/).

Built from the API kit (shelfmark.api.views). Who sees what is each resource's ``get_scope()``:
staff see every row, a patron (a login linked to a patron record) only their own, so another
patron's loan, hold or record is a 404 to them. What they may do is ``CirculationAccess``: staff
need the model permission for it, as in the admin; patrons only what the view lists in
``patron_methods``. The circulation POSTs honour ``Idempotency-Key``
(shelfmark.api.idempotency).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from circulation import services
from circulation.accounts import send_password_setup_email
from circulation.api_examples import (
    CATEGORY_EXAMPLES,
    CHECKIN_EXAMPLES,
    CHECKOUT_EXAMPLES,
    HOLD_CANCEL_EXAMPLES,
    HOLD_CREATE_EXAMPLES,
    HOLD_EXAMPLES,
    HOLD_UPDATE_EXAMPLES,
    LOAN_EXAMPLES,
    LOAN_RENEW_EXAMPLES,
    ME_EXAMPLES,
    PATRON_CREATE_EXAMPLES,
    PATRON_EXAMPLES,
    PATRON_RENEW_CARD_EXAMPLES,
    PATRON_UPDATE_EXAMPLES,
)
from circulation.filters import HoldFilter, LoanFilter, PatronFilter
from circulation.models import Hold, Loan, Patron, PatronCategory
from circulation.selectors import rows
from circulation.serializers import (
    CheckinInputSerializer,
    CheckinSerializer,
    CheckoutInputSerializer,
    HoldInputSerializer,
    HoldSerializer,
    HoldUpdateInputSerializer,
    LoanSerializer,
    MeSerializer,
    PatronCategoryInputSerializer,
    PatronCategorySerializer,
    PatronInputSerializer,
    PatronSerializer,
    PatronUpdateInputSerializer,
)
from shelfmark.api.idempotency import IdempotentPost
from shelfmark.api.permissions import StaffModelPermissions, is_staff
from shelfmark.api.schema import ErrorSerializer
from shelfmark.api.views import (
    ActionApi,
    CollectionActionApi,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    PartialUpdateMixin,
    ResourceApi,
    RetrieveMixin,
    UpdateMixin,
)
from shelfmark.errors import InvalidInput, NotAllowed, NotFound
from shelfmark.rows import Row, RowShape

NO_PATRON_RECORD = gettext_lazy(
    "Your account is not linked to a patron record, so it has no loans or holds. Ask the "
    "library staff to link it to your library card."
)


class CirculationAccess(StaffModelPermissions):
    """Staff: the model permission for the request (``circulation.view_loan``,
    ``circulation.add_hold`` …; the Librarians group holds the desk's). Anyone else signed in:
    the methods the view lists in ``patron_methods``, on their own records, which is all the
    scope shows them. On one object the refusal comes after the lookup, so another patron's
    record is a 404 whatever the method, and only one's own can be a 403."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if is_staff(user):
            return self.has_model_permission(request, view)
        if not (user and user.is_authenticated):
            return False
        if view.kwargs.get(view.lookup_url_kwarg or view.lookup_field) is not None:
            return True  # decided for the object (has_object_permission), once it is found
        return self._patron_may(request, view)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return is_staff(request.user) or self._patron_may(request, view)

    def _patron_may(self, request: Any, view: Any) -> bool:
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        if method in view.patron_methods:
            return True
        self.message = view.patron_refusal
        return False


class CirculationApi(ResourceApi):
    permission_classes = [CirculationAccess]
    # What a patron (a signed-in account that is not staff) may do here, to their own records.
    patron_methods: ClassVar[tuple[str, ...]] = ()
    patron_refusal: ClassVar[str | Promise] = gettext_lazy("Only library staff may do this.")

    def row_of(
        self, shape: RowShape, scope: QuerySet[Any], obj: Model | None, list_url: str
    ) -> Row | None:
        """``obj``'s row as its own resource's views show it (None for None)."""
        if obj is None:
            return None
        found = shape.rows(scope.filter(pk=obj.pk)).first()
        return None if found is None else self.present_as(shape, [found], list_url_name=list_url)[0]


# --- Patron categories -------------------------------------------------------------------------


class CategoryApi(ResourceApi):
    """Staff with the model permissions (reading needs circulation.view_patroncategory)."""

    permission_classes = [StaffModelPermissions]
    row_shape = rows.CATEGORY_ROWS
    list_url_name = "patron-category-list"
    serializer_class = PatronCategorySerializer
    input_serializer_class = PatronCategoryInputSerializer

    def get_scope(self) -> QuerySet[PatronCategory]:
        return rows.categories()


@extend_schema_view(
    get=extend_schema(examples=CATEGORY_EXAMPLES), post=extend_schema(examples=CATEGORY_EXAMPLES)
)
class CategoryListApi(ListMixin, CreateMixin, CategoryApi):
    """Patron categories (Adult, Child, Staff…) and their lending defaults, by name.

    POST adds one; omitted limits get the defaults shown in the schema. Names are unique
    whatever their case (409 `duplicate`)."""

    ordering_fields = {"name": ("name", "id")}
    ordering_default = "name"

    def create_object(self, data: dict[str, Any]) -> PatronCategory:
        return services.category_create(**data)


@extend_schema_view(
    get=extend_schema(examples=CATEGORY_EXAMPLES),
    put=extend_schema(examples=CATEGORY_EXAMPLES),
    patch=extend_schema(examples=CATEGORY_EXAMPLES),
    delete=extend_schema(examples=CATEGORY_EXAMPLES),
)
class CategoryDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, CategoryApi):
    """One patron category. PUT replaces every field (omitted limits get their defaults),
    PATCH changes the fields sent; a category that patrons still have cannot be deleted (409
    `in_use`)."""

    def update_object(self, obj: PatronCategory, data: dict[str, Any]) -> None:
        services.category_update(category=obj, **data)

    def delete_object(self, obj: PatronCategory) -> None:
        services.category_delete(category=obj)


# --- Patrons -----------------------------------------------------------------------------------


class PatronApi(CirculationApi):
    row_shape = rows.PATRON_ROWS
    list_url_name = "patron-list"
    serializer_class = PatronSerializer
    patron_methods: ClassVar[tuple[str, ...]] = ("GET",)
    patron_refusal = gettext_lazy(
        "Patron records are changed by the library staff; ask at the desk."
    )

    def get_scope(self) -> QuerySet[Patron]:
        return rows.patrons_visible_to(self.request.user)

    def with_category(self, data: dict[str, Any]) -> dict[str, Any]:
        """The input with its category id replaced by the category (a 400 when there is none)."""
        if "category" in data:
            data["category"] = rows.category_get(data["category"])
            if data["category"] is None:
                raise InvalidInput(_("No patron category with this id."), field="category")
        return data


@extend_schema_view(
    get=extend_schema(examples=PATRON_EXAMPLES), post=extend_schema(examples=PATRON_CREATE_EXAMPLES)
)
class PatronListApi(IdempotentPost, ListMixin, CreateMixin, PatronApi):
    """Patrons, by name: staff see everyone (search with `q`: words in the name, card number
    or email), a patron their own record only.

    POST (staff) registers a patron. With `username` it also creates their login, without a
    password: once the patron is saved, they are emailed a link to choose one (no email is
    sent to a patron without an address). Staff allowed to issue tokens for others (superusers,
    the Administrators group) can issue API tokens for that login with POST /api/v1/tokens/."""

    input_serializer_class = PatronInputSerializer
    filterset_class = PatronFilter
    ordering_fields = {"name": ("name", "id"), "card_number": ("card_number",)}
    ordering_default = "name"

    def create_object(self, data: dict[str, Any]) -> Patron:
        patron = services.patron_create(actor=self.request.user, **self.with_category(data))
        login = patron.user
        if login is not None:

            def send_password_setup() -> None:  # named: Django's on_commit logs __qualname__
                send_password_setup_email(login)

            # After the commit (of the idempotent request's too): no email about a patron that
            # was rolled back. A mail server that fails is logged; the patron stays saved.
            transaction.on_commit(send_password_setup, robust=True)
        return patron


@extend_schema_view(
    get=extend_schema(examples=PATRON_EXAMPLES),
    patch=extend_schema(examples=PATRON_UPDATE_EXAMPLES),
)
class PatronDetailApi(RetrieveMixin, PartialUpdateMixin, PatronApi):
    """One patron: staff, or the patron themselves. `blocks` lists every reason they cannot
    borrow today. PATCH (staff) changes the fields sent; blocking (`blocked`: true) needs a
    `block_reason`, unblocking clears it, and both are recorded as circulation events, as is
    a new `expires_on`."""

    input_serializer_class = PatronUpdateInputSerializer

    def update_object(self, obj: Patron, data: dict[str, Any]) -> None:
        services.patron_update(patron=obj, actor=self.request.user, **self.with_category(data))


@extend_schema_view(post=extend_schema(examples=PATRON_RENEW_CARD_EXAMPLES))
class PatronRenewCardApi(IdempotentPost, ActionApi, PatronApi):
    """Renew a patron's card: it is extended by its category's `card_valid_months`, counted
    from the day it expires, or from today when it has expired already. Recorded as a
    circulation event. Staff with circulation.change_patron. 409 `card_never_expires`."""

    model_permission_actions = {"POST": "change"}
    patron_methods = ()

    def perform_action(self, obj: Patron, data: dict[str, Any]) -> Patron:
        return services.patron_card_renew(patron=obj, actor=self.request.user)


# --- Checkout and check-in ---------------------------------------------------------------------


class LoanApi(CirculationApi):
    row_shape = rows.LOAN_ROWS
    list_url_name = "loan-list"
    serializer_class = LoanSerializer

    def get_scope(self) -> QuerySet[Loan]:
        return rows.loans_visible_to(self.request.user)


UNKNOWN_CODE = OpenApiResponse(
    ErrorSerializer,
    description="No patron has this card number (`unknown_card`), or no copy this barcode "
    "(`unknown_barcode`).",
)


@extend_schema_view(
    post=extend_schema(
        responses={201: LoanSerializer, 404: UNKNOWN_CODE}, examples=CHECKOUT_EXAMPLES
    )
)
class CheckoutApi(IdempotentPost, CreateMixin, LoanApi):
    """Lend a copy to a patron, both as scanned: the patron's card number and the copy's
    barcode. Answers 201 with the loan and its due date (from the circulation rules, moved to
    the next open day). The loan fills the patron's own hold on the book, if any.

    Refusals: 404 `unknown_card`, `unknown_barcode`; 409 with every reason at once in
    `error.reasons` (the error's `code` is the first that cannot be overridden, else the first):
    `copy_on_loan`, `already_on_loan_to_patron`, `copy_unavailable` (lost, missing, damaged…),
    `copy_not_for_loan`, `patron_blocked` — final; `book_held` (other patrons wait for the
    book: lend anyway after confirming); `card_expired`, `has_overdue_loans`, `max_loans`,
    `copy_on_hold_shelf` (set aside for someone else, who then waits again at their place) —
    for staff with circulation.override_refusals. Send the request again with those codes in
    `override` (and a reason) to lend anyway; each override is recorded as a circulation event
    with who and why. 403 `override_not_allowed` when one needs the permission this account
    lacks. Staff with circulation.add_loan."""

    input_serializer_class = CheckoutInputSerializer

    def create_object(self, data: dict[str, Any]) -> Loan:
        return services.loan_checkout(
            card_number=data["patron"],
            barcode=data["copy"],
            actor=self.request.user,
            override=data["override"],
            override_reason=data["override_reason"],
        )


@extend_schema_view(
    post=extend_schema(
        responses={200: CheckinSerializer, 404: UNKNOWN_CODE}, examples=CHECKIN_EXAMPLES
    )
)
class CheckinApi(IdempotentPost, CollectionActionApi, CirculationApi):
    """Take a copy back, as scanned. Answers with the loan it closed (null if the copy was not
    on loan: no error) and the hold it is now set aside for (null if nobody waits: back to the
    shelf), with a sentence for the desk. Staff with circulation.change_loan."""

    row_shape = rows.LOAN_ROWS
    serializer_class = CheckinSerializer
    input_serializer_class = CheckinInputSerializer
    model_permission_actions = {"POST": "change"}  # of loans: the scope's model

    def get_scope(self) -> QuerySet[Loan]:
        return rows.loans_visible_to(self.request.user)

    def perform_action(self, obj: None, data: dict[str, Any]) -> services.CheckinResult:
        return services.loan_checkin(barcode=data["copy"], actor=self.request.user)

    def action_response(self, obj: None, result: services.CheckinResult) -> Response:
        holds = rows.holds_visible_to(self.request.user)
        return Response(
            {
                "loan": self.row_of(rows.LOAN_ROWS, self.get_scope(), result.loan, "loan-list"),
                "hold": self.row_of(rows.HOLD_ROWS, holds, result.hold, "hold-list"),
                "message": result.message,
                "copy_found": result.found,
            }
        )


# --- Loans -------------------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(examples=LOAN_EXAMPLES))
class LoanListApi(ListMixin, LoanApi):
    """Loans, newest first: staff see all, a patron their own. Filter by `patron`, `copy`
    (barcode), `book`, `open` and `overdue`."""

    patron_methods = ("GET",)
    filterset_class = LoanFilter
    ordering_fields = {"checked_out": ("checked_out_at", "id"), "due": ("due_on", "id")}
    ordering_default = "-checked_out"


@extend_schema_view(get=extend_schema(examples=LOAN_EXAMPLES))
class LoanDetailApi(RetrieveMixin, LoanApi):
    """One loan: staff, or the patron who has it."""

    patron_methods = ("GET",)


@extend_schema_view(post=extend_schema(examples=LOAN_RENEW_EXAMPLES))
class LoanRenewApi(IdempotentPost, ActionApi, LoanApi):
    """Renew a loan: its new due date counts from today (never earlier than the current one).
    Staff with circulation.change_loan, or the patron who has it.

    Refusals (409): `loan_closed`, `max_renewals`, `book_held` (another patron waits for the
    book), `patron_blocked`, `loan_overdue` (when the category says overdue loans block)."""

    patron_methods = ("POST",)
    model_permission_actions = {"POST": "change"}

    def perform_action(self, obj: Loan, data: dict[str, Any]) -> Loan:
        return services.loan_renew(loan=obj, actor=self.request.user)


# --- Holds -------------------------------------------------------------------------------------


class HoldApi(CirculationApi):
    row_shape = rows.HOLD_ROWS
    list_url_name = "hold-list"
    serializer_class = HoldSerializer

    def get_scope(self) -> QuerySet[Hold]:
        return rows.holds_visible_to(self.request.user)


@extend_schema_view(
    get=extend_schema(examples=HOLD_EXAMPLES), post=extend_schema(examples=HOLD_CREATE_EXAMPLES)
)
class HoldListApi(IdempotentPost, ListMixin, CreateMixin, HoldApi):
    """Holds, newest first: staff see all, a patron their own. Filter by `patron`, `book` and
    `status`.

    POST places a hold on a book (`book`): a patron for themselves; staff for any patron
    (`patron`, a patron id), with circulation.add_hold. A waiting hold has its place in the
    book's queue (`position`). Refusals (409): `already_held`, `book_on_loan_to_patron`,
    `max_holds`, `copy_on_shelf` (unless the library allows holds then), `patron_blocked`,
    `card_expired`; 403 `no_patron_record` for an account with no patron record."""

    patron_methods = ("GET", "POST")
    input_serializer_class = HoldInputSerializer
    filterset_class = HoldFilter
    ordering_fields = {"placed": ("placed_at", "id")}
    ordering_default = "-placed"

    def create_object(self, data: dict[str, Any]) -> Hold:
        book = catalog_selectors.book_get(data["book"])
        if book is None:
            raise InvalidInput(_("No book with this id."), field="book")
        patron = self.patron_for(data.get("patron"))
        return services.hold_place(patron=patron, book=book, actor=self.request.user)

    def patron_for(self, patron_id: int | None) -> Patron:
        user = self.request.user
        if patron_id is not None:
            # Another patron's id is, to a patron, no patron at all: the same 400 as an unknown one.
            patron = rows.patrons_visible_to(user).filter(pk=patron_id).first()
            if patron is None:
                raise InvalidInput(
                    _("No patron with id %(id)s.") % {"id": patron_id}, field="patron"
                )
            return patron
        own = rows.patron_of(user)
        if own is not None:
            return own
        if is_staff(user):
            raise InvalidInput(
                _("Say whom the hold is for: 'patron', a patron id."), field="patron"
            )
        raise NotAllowed(str(NO_PATRON_RECORD), code="no_patron_record")


@extend_schema_view(
    get=extend_schema(examples=HOLD_EXAMPLES), patch=extend_schema(examples=HOLD_UPDATE_EXAMPLES)
)
class HoldDetailApi(RetrieveMixin, PartialUpdateMixin, HoldApi):
    """One hold: staff, or the patron who placed it.

    PATCH suspends a waiting hold (`suspended_until`: a day after today, at most a year ahead):
    it keeps its place in the queue, copies checked in pass it over, and from that day it is
    active again by itself; `null` resumes it now. Staff with circulation.change_hold, or the
    patron who placed it. 409 `hold_ready` (collect or cancel it instead), `hold_closed`."""

    patron_methods = ("GET", "PATCH")
    input_serializer_class = HoldUpdateInputSerializer

    def update_object(self, obj: Hold, data: dict[str, Any]) -> None:
        if "suspended_until" in data:
            services.hold_suspend(hold=obj, until=data["suspended_until"], actor=self.request.user)


@extend_schema_view(post=extend_schema(examples=HOLD_CANCEL_EXAMPLES))
class HoldCancelApi(IdempotentPost, ActionApi, HoldApi):
    """Cancel a waiting or ready hold: staff with circulation.change_hold, or the patron who
    placed it. A copy set aside for it goes to the next patron waiting, or back to the shelf.
    409 `hold_closed` when it was collected, cancelled or expired already."""

    patron_methods = ("POST",)
    model_permission_actions = {"POST": "change"}

    def perform_action(self, obj: Hold, data: dict[str, Any]) -> Hold:
        return services.hold_cancel(hold=obj, actor=self.request.user)


# --- The signed-in patron ----------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        responses={
            200: MeSerializer,
            404: OpenApiResponse(
                ErrorSerializer,
                description="The account has no patron record (`no_patron_record`).",
            ),
        },
        examples=ME_EXAMPLES,
    )
)
class MeApi(ResourceApi):
    """The signed-in patron: their record, their open loans with due dates, and their waiting
    and ready holds with their places in the queues. Any signed-in account; one with no patron
    record (a staff account, usually) gets 404 `no_patron_record`."""

    permission_classes = [IsAuthenticated]
    row_shape = rows.PATRON_ROWS
    serializer_class = MeSerializer

    def get_scope(self) -> QuerySet[Patron]:
        return rows.own_patron(self.request.user)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        summary = rows.patron_summary(self.get_scope())
        if summary is None:
            raise NotFound(str(NO_PATRON_RECORD), code="no_patron_record")
        return Response(
            {
                "patron": self.present_as(
                    rows.PATRON_ROWS, [summary["patron"]], list_url_name="patron-list"
                )[0],
                "loans": self.present_as(
                    rows.LOAN_ROWS, summary["loans"], list_url_name="loan-list"
                ),
                "holds": self.present_as(
                    rows.HOLD_ROWS, summary["holds"], list_url_name="hold-list"
                ),
            }
        )
