"""Cursor pagination for every list: stable under inserts, and no COUNT(*) over the table."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination with a validated ``page_size`` and a whitelisted ``ordering``.

    A view names its orderings as ``ordering_fields = {"title": ("title", "id"), ...}``: the key
    is what clients send (``?ordering=-title``), the value the database ordering; the last
    column must make rows unique so pages never skip or repeat a row. ``ordering_default``
    names the key used when the client sends none.
    """

    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering_param = "ordering"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # ASCII digits, and not many: str.isdigit() accepts "²", which int() refuses, and int()
        # refuses more than 4300 digits - both were 500s.
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    invalid_cursor_message = "Invalid cursor: use the 'next' and 'previous' links as given."

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:  # DRF says 404; a damaged parameter is a bad request
            raise self._invalid_cursor() from None
        # PostgreSQL refuses NUL in text parameters (a DataError, so a 500); no real position
        # has one.
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise self._invalid_cursor()
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        if not request.query_params.get(self.cursor_query_param):
            return super().paginate_queryset(queryset, request, view)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            # A forged cursor whose position does not fit the ordering column: text for a
            # year, a malformed date, a number too large for the column.
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        choices: dict[str, tuple[str, ...]] = view.ordering_fields
        key = request.query_params.get(self.ordering_param, view.ordering_default)
        descending = key.startswith("-")
        columns = choices.get(key.removeprefix("-"))
        if columns is None:
            allowed = ", ".join(sorted(choices))
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Unknown ordering '{key}'. Use one of: {allowed} (prefix - to reverse)."
                    ]
                }
            )
        return tuple(f"-{c}" if descending else c for c in columns)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        keys = sorted(view.ordering_fields)
        parameters.append(
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Sort order, default `{view.ordering_default}`. Prefix - to reverse."
                ),
                "schema": {"type": "string", "enum": [*keys, *(f"-{k}" for k in keys)]},
            }
        )
        parameters[1]["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
