"""The API kit: DRF's generic views, reading selector rows and writing through services.

A resource's views are built from these pieces (see ARCHITECTURE.md, "The API recipe")::

    class BookListApi(ListMixin, CreateMixin, ResourceApi): ...           # /books/
    class BookDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, ResourceApi): ...  # /books/{id}/
    class LoanRenewApi(ActionApi): ...                                    # /loans/{id}/renew/
    class CheckinApi(CollectionActionApi): ...                            # /circulation/checkin/

- ``get_scope()`` is the one place that says which objects the requesting user may see. Lists
  read from it, and every object lookup (``get_object``) goes through it and then runs DRF's
  object permissions: a row outside the scope is a 404, a row the permissions refuse a 403.
- Only the operations a view mixes in exist: anything else is DRF's 405, and drf-spectacular
  leaves it out of the schema.
- Reads render the rows of the resource's ``RowShape`` (shelfmark.rows): no model instance or
  serializer per row. ``serializer_class`` documents a row for the schema and the browsable API
  (a test checks every row has exactly its fields); ``input_serializer_class`` validates writes.
- A resource whose rows have a ``version`` (books) answers a visitor's GET with an ETag and,
  when the client has the page already, a 304 right after the page's own query
  (shelfmark.conditional).
- Writes validate the input, then call one service (``create_object``, ``update_object``,
  ``delete_object``, ``perform_action``), which owns the transaction and the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from shelfmark.conditional import not_modified, page_etag, with_etag
from shelfmark.errors import NotFound
from shelfmark.rows import Row, RowShape

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ResourceApi(GenericAPIView):
    """Base of every API view of a resource. Subclasses set ``row_shape``, ``serializer_class``,
    (for writes) ``input_serializer_class``, and define ``get_scope()``."""

    row_shape: ClassVar[RowShape]
    input_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    # Rows get a "url" (the list's URL plus the id) when this names the list's URL.
    list_url_name: ClassVar[str | None] = None
    # %(name)s is the model's verbose name, %(pk)s the id asked for (either may be left out).
    not_found_message: ClassVar[StrOrPromise] = gettext_lazy("No %(name)s with id %(pk)s.")
    request: Request

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # An operation the view lacks is a 405 for everyone, before authentication: DRF would
        # first ask an anonymous client to sign in for something that does not exist.
        assert request.method is not None  # only a hand-made HttpRequest lacks one
        if request.method not in self.allowed_methods:
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    # --- What this user may see ---------------------------------------------------------------

    def get_scope(self) -> QuerySet[Any]:
        """The objects the requesting user may see (``self.request.user``): the whole table for
        a public catalog, only their own rows for a patron. Every read and lookup starts here."""
        raise NotImplementedError(f"{type(self).__name__} must define get_scope().")

    def get_queryset(self) -> QuerySet[Any]:
        # DRF and django-filter call this (filter forms, schema introspection): the scope.
        return self.get_scope()

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Any:
        """The object named in the URL, looked up within the scope (or ``queryset``, narrowed
        from it), after DRF's object permissions have accepted it."""
        scope = self.get_scope() if queryset is None else queryset
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = scope.filter(pk=pk).first()
        if obj is None:
            raise NotFound(self.not_found_text(scope.model, pk))
        self.check_object_permissions(self.request, obj)
        return obj

    def not_found_text(self, model: type[Model], pk: object) -> str:
        """``not_found_message`` for the object ``pk`` of ``model``, in the request's language.
        A message in str.format's style (``{pk}``) is filled in too."""
        message = str(self.not_found_message)
        values = {"name": model._meta.verbose_name, "pk": pk}
        if "%(" in message:
            return message % values
        return message.format(**values)

    # --- Reading rows -------------------------------------------------------------------------

    def present(self, rows: list[Row]) -> list[Row]:
        """Database rows as clients see them: the shape's batch step, then the urls."""
        return self.present_as(self.row_shape, rows, list_url_name=self.list_url_name)

    def present_as(
        self, shape: RowShape, rows: list[Row], *, list_url_name: str | None
    ) -> list[Row]:
        """Rows of ``shape`` as that resource's own views present them (an answer that holds
        rows of several resources, such as a check-in's loan and hold)."""
        rows = shape.present(rows, viewer=self.request.user)
        if list_url_name is None:
            return rows
        # Detail URLs are the list URL plus the id; building the prefix once keeps reverse()
        # out of the per-row loop.
        prefix = self.request.build_absolute_uri(reverse(list_url_name))
        return [{"id": row["id"], "url": f"{prefix}{row['id']}/", **row} for row in rows]

    def page_etag(self, rows: list[Row], *, extra: str = "") -> str | None:
        """The ETag of a page of (not yet presented) rows for this request, when the resource's
        rows have a version (shelfmark.conditional)."""
        if self.row_shape.version is None:
            return None
        return page_etag(self.request, rows, version=self.row_shape.version, extra=extra)

    def row_response(self, obj: Model, status_code: int = status.HTTP_200_OK) -> Response:
        """The answer to a write: the object's row as it is now, read from the scope."""
        row = self.row_shape.rows(self.get_scope().filter(pk=obj.pk)).first()
        if row is None:
            raise NotFound(self.not_found_text(type(obj), obj.pk))
        (body,) = self.present([row])
        created = status_code == status.HTTP_201_CREATED
        headers = {"Location": body["url"]} if created and "url" in body else None
        return Response(body, status=status_code, headers=headers)

    # --- Writes: each operation calls one service through its hook ------------------------
    # Here, below the mixins in the method resolution order, so that a resource's own base
    # class can define them for its list and detail views alike.

    def create_object(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError(f"{type(self).__name__} must define create_object().")

    def update_object(self, obj: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update_object().")

    def delete_object(self, obj: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define delete_object().")

    def perform_action(self, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define perform_action().")

    # --- Input --------------------------------------------------------------------------------

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        # The browsable API builds its POST/PUT forms from this: offer the input fields there.
        request = getattr(self, "request", None)
        writing = request is not None and request.method not in SAFE_METHODS
        if writing and self.input_serializer_class is not None:
            return self.input_serializer_class
        assert self.serializer_class is not None, f"{type(self).__name__} needs serializer_class"
        return self.serializer_class

    def validated_input(self, *, partial: bool = False) -> dict[str, Any]:
        if self.input_serializer_class is None:
            return {}
        serializer = self.input_serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# --- Operations: a view has exactly the ones it mixes in -------------------------------------


class ListMixin:
    """GET on the collection: the scope, filtered, as a keyset-paginated page of rows."""

    def get(self: Any, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        rows = self.row_shape.rows(self.filter_queryset(self.get_scope()))
        page = self.paginate_queryset(rows)
        etag = self.page_etag(page)
        return not_modified(request, etag) or with_etag(
            self.get_paginated_response(self.present(page)), etag
        )


class CreateMixin:
    """POST on the collection: validate, create through the service, answer 201 with the row."""

    def post(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.create_object(self.validated_input())
        return self.row_response(obj, status.HTTP_201_CREATED)


class RetrieveMixin:
    """GET on one object: one query for the object and its row (plus the shape's batch step,
    unless the client has the row already: a 304)."""

    def get(self: Any, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        obj = self.get_object(self.row_shape.annotate(self.get_scope()))
        row = self.row_shape.row_of(obj)
        etag = self.page_etag([row])
        if answer := not_modified(request, etag):
            return answer
        (body,) = self.present([row])
        return with_etag(Response(body), etag)


class PartialUpdateMixin:
    """PATCH changes the fields sent, and answers with the row. Alone, for a resource whose
    records are never replaced whole (PUT is then a 405)."""

    def patch(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(partial=True)

    def update(self: Any, *, partial: bool) -> Response:
        obj = self.get_object()
        self.update_object(obj, self.validated_input(partial=partial))
        return self.row_response(obj)


class UpdateMixin(PartialUpdateMixin):
    """PUT replaces the object's fields (left-out ones get their defaults); PATCH changes the
    fields sent. Both answer with the row."""

    def put(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(partial=False)


class DestroyMixin:
    """DELETE one object through the service; 204."""

    def delete(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.delete_object(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActionApi(ResourceApi):
    """A verb on one object: ``POST /things/{id}/verb/`` → ``ThingVerbApi`` → ``thing_verb``.

    The object comes through ``get_object`` (scope and object permissions), the body through
    ``input_serializer_class`` when the verb takes one; ``perform_action`` calls the service.
    The answer is the object's row afterwards, unless ``action_response`` says otherwise.
    """

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        result = self.perform_action(obj, self.validated_input())
        return self.action_response(obj, result)

    def action_response(self, obj: Any, result: Any) -> Response:
        return self.row_response(obj)


class CollectionActionApi(ResourceApi):
    """A verb on no one object: ``POST /things/verb/`` (a check-in, named by a barcode in the
    body). The body comes through ``input_serializer_class``, ``perform_action(None, data)``
    calls the service and ``action_response(None, result)`` says what came of it (200)."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = self.perform_action(None, self.validated_input())
        return self.action_response(None, result)

    def action_response(self, obj: None, result: Any) -> Response:
        raise NotImplementedError(f"{type(self).__name__} must define action_response().")
