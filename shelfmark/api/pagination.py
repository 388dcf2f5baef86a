"""Keyset pagination for every API list: ``shelfmark.keyset`` behind DRF's pagination interface.

The paging itself - positions, cursors, the "strictly after" filter, why DRF's own cursor
algorithm is not used (it repeats pages past 1000 ties) - lives in :mod:`shelfmark.keyset`, which
the HTML pages use too. DRF's CursorPagination is the base class only for what it does well:
the ``cursor`` and ``page_size`` parameters, the ``next``/``previous``/``results`` response
shape and its schema, and the browsable API's page controls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from shelfmark import keyset


class OrderedView(Protocol):
    """What a view paged here declares (the kit's list views do): the orderings clients may
    ask for, and the key used when they ask for none."""

    ordering_fields: Mapping[str, Sequence[str]]
    ordering_default: str


def _ordered(view: APIView | None) -> OrderedView:
    # DRF hands a paginator the view as a plain APIView; the lists it pages declare orderings.
    return cast(OrderedView, view)


class KeysetPagination(pagination.CursorPagination):
    """Keyset pagination with a validated ``page_size`` and a whitelisted ``ordering``.

    A view names its orderings as ``ordering_fields = {"title": ("title", "id"), ...}``: the key
    is what clients send (``?ordering=-title``), the value the database ordering, whose last
    column must be unique (the id) so that every row has its own position. ``ordering_default``
    names the key used when the client sends none. Bad parameters are 400s naming the parameter.
    """

    page_size: int  # REST_FRAMEWORK["PAGE_SIZE"] in the settings (DRF allows None)
    base_url: str  # set by paginate_queryset, before any link is made
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering_param = "ordering"
    invalid_cursor_message = keyset.INVALID_CURSOR_MESSAGE

    # Querysets only (DRF's base also takes lists): a keyset page is a database query.
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any, Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.ordering = self.get_ordering(request, queryset, view)
        position = self.decode_cursor(request)
        try:
            self.result = keyset.page(
                queryset, ordering=self.ordering, size=self.page_size, position=position
            )
        except keyset.InvalidCursor as error:
            raise self._invalid(self.cursor_query_param, error) from None
        self.display_page_controls = (
            self.result.next is not None or self.result.previous is not None
        )
        return self.result.rows

    def get_next_link(self) -> str | None:
        return None if self.result.next is None else self._link(self.result.next)

    def get_previous_link(self) -> str | None:
        return None if self.result.previous is None else self._link(self.result.previous)

    # DRF's cursors are (offset, reverse, position) tuples; these are keyset positions. Every
    # base method that makes or reads a cursor is overridden here.
    def encode_cursor(self, position: keyset.Position) -> str:  # type: ignore[override]
        return keyset.encode_cursor(position)

    def decode_cursor(self, request: Request) -> keyset.Position | None:  # type: ignore[override]
        try:
            return keyset.decode_cursor(request.query_params.get(self.cursor_query_param))
        except keyset.InvalidCursor as error:
            raise self._invalid(self.cursor_query_param, error) from None

    def get_page_size(self, request: Request) -> int:
        try:
            return keyset.parse_page_size(
                request.query_params.get(self.page_size_query_param),
                default=self.page_size,
                maximum=self.max_page_size,
            )
        except keyset.InvalidPageSize as error:
            raise self._invalid(self.page_size_query_param, error) from None

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView | None
    ) -> tuple[str, ...]:
        ordered = _ordered(view)
        try:
            return keyset.resolve_ordering(
                request.query_params.get(self.ordering_param),
                ordered.ordering_fields,
                default=ordered.ordering_default,
            )
        except keyset.InvalidOrdering as error:
            raise self._invalid(self.ordering_param, error) from None

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)
        # DRF's examples link to an "accounts" list; drf-spectacular puts them around every
        # list example. A first page: no previous one, an opaque cursor to the next.
        properties = paginated["properties"]
        properties["next"]["example"] = "https://library.example.org/api/v1/...?cursor=WyI3Il0"
        properties["previous"]["example"] = None
        return paginated

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        ordered = _ordered(view)
        keys = sorted(ordered.ordering_fields)
        parameters.append(
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Sort order, default `{ordered.ordering_default}`. Prefix - to reverse."
                ),
                "schema": {"type": "string", "enum": [*keys, *(f"-{k}" for k in keys)]},
            }
        )
        return parameters

    def _link(self, position: keyset.Position) -> str:
        return replace_query_param(
            self.base_url, self.cursor_query_param, keyset.encode_cursor(position)
        )

    @staticmethod
    def _invalid(parameter: str, error: keyset.KeysetError) -> ValidationError:
        return ValidationError({parameter: [str(error)]})
