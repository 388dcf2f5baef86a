"""Base API views for resources whose reads come from selectors as plain rows.

DRF's generic views give routing, filtering, pagination, content negotiation and the OpenAPI
introspection; these bases swap the per-row serializer for selector rows on the read side and a
service call on the write side. ``serializer_class`` documents the output (and a test checks
that every row has exactly its fields); ``input_serializer_class`` validates input.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from django.urls import reverse
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from shelfmark.errors import NotFound

Row = dict[str, Any]


class RowsMixin:
    """What a resource must say: where its rows and objects come from, how writes happen."""

    model: ClassVar[type[Model]]
    list_url_name: ClassVar[str]
    input_serializer_class: ClassVar[type[serializers.Serializer]]
    request: Request

    def represent(self, rows: list[Row]) -> list[Row]:
        return rows

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The browsable API builds its POST/PUT forms from this: offer the input fields there.
        request = getattr(self, "request", None)
        if request is not None and request.method not in SAFE_METHODS:
            return self.input_serializer_class
        return self.serializer_class

    def detail_row(self, pk: int) -> Row | None:
        raise NotImplementedError

    def with_urls(self, rows: list[Row]) -> list[Row]:
        # Detail URLs are the list URL plus the id; building the prefix once keeps reverse()
        # out of the per-row loop.
        prefix = self.request.build_absolute_uri(reverse(self.list_url_name))
        return [{"id": row["id"], "url": f"{prefix}{row['id']}/", **row} for row in rows]

    def validated_input(self, *, partial: bool = False) -> dict[str, Any]:
        serializer = self.input_serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def object_or_404(self, pk: int) -> Model:
        obj = self.model.objects.filter(pk=pk).first()
        if obj is None:
            raise NotFound(f"No {self.model._meta.verbose_name} with id {pk}.")
        return obj

    def detail_response(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        row = self.detail_row(pk)
        if row is None:
            raise NotFound(f"No {self.model._meta.verbose_name} with id {pk}.")
        (body,) = self.with_urls(self.represent([row]))
        headers = {"Location": body["url"]} if status_code == status.HTTP_201_CREATED else None
        return Response(body, status=status_code, headers=headers)


class RowListCreateApi(RowsMixin, generics.ListCreateAPIView):
    ordering_fields: ClassVar[dict[str, tuple[str, ...]]]
    ordering_default: ClassVar[str]

    def create_object(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.with_urls(self.represent(page)))

    def create(self, request: Request, *args, **kwargs) -> Response:
        obj = self.create_object(self.validated_input())
        return self.detail_response(obj.pk, status.HTTP_201_CREATED)


class RowDetailApi(RowsMixin, generics.RetrieveUpdateDestroyAPIView):
    def update_object(self, obj: Model, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete_object(self, obj: Model) -> None:
        raise NotImplementedError

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self.detail_response(kwargs["pk"])

    def update(self, request: Request, *args, partial: bool = False, **kwargs) -> Response:
        obj = self.object_or_404(kwargs["pk"])
        self.update_object(obj, self.validated_input(partial=partial))
        return self.detail_response(obj.pk)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        self.delete_object(self.object_or_404(kwargs["pk"]))
        return Response(status=status.HTTP_204_NO_CONTENT)
