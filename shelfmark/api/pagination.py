"""Keyset ("cursor") pagination for every list: stable under inserts, no COUNT(*), no OFFSET.

Why not DRF's CursorPagination as it is: it positions the cursor on the first ordering column
only and steps over ties with an offset it caps at 1000, so past 1000 books with one title (or
without a year) its pages repeat forever. Here the cursor carries the values of *every* ordering
column of the last row seen, and the next page is the rows strictly after that tuple — exact
whatever the ties, and served by the (column, id) indexes. DRF's class still provides the
parameters, the response shape, the schema and the browsable API's page controls.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import replace_query_param

MAX_CURSOR_LENGTH = 1024


@dataclass(frozen=True)
class Position:
    """Where a page starts: the ordering values of a row, and which way to read from it."""

    values: tuple[Any, ...]
    backwards: bool = False


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination with a validated ``page_size`` and a whitelisted ``ordering``.

    A view names its orderings as ``ordering_fields = {"title": ("title", "id"), ...}``: the key
    is what clients send (``?ordering=-title``), the value the database ordering, whose last
    column must be unique (the id) so that every row has its own position. ``ordering_default``
    names the key used when the client sends none.
    """

    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering_param = "ordering"
    invalid_cursor_message = "Invalid cursor: use the 'next' and 'previous' links as given."

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.ordering = self.get_ordering(request, queryset, view)
        self.position = self.decode_cursor(request)
        columns = [(column.lstrip("-"), column.startswith("-")) for column in self.ordering]
        backwards = self.position is not None and self.position.backwards
        rows = queryset.order_by(
            *(f"-{name}" if descending != backwards else name for name, descending in columns)
        )
        try:
            if self.position is not None:
                rows = rows.filter(_after(columns, self.position.values, backwards))
            page = list(rows[: self.page_size + 1])
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            if self.position is None:
                raise
            # A forged position that does not fit its column: text for a year, a malformed
            # date, a number too large for the column.
            raise self._invalid_cursor() from None
        more = len(page) > self.page_size
        page = page[: self.page_size]
        if backwards:
            page.reverse()
        # Reading forwards from a cursor, there were rows before it; reading backwards, after.
        self.has_next = more if not backwards else True
        self.has_previous = self.position is not None if not backwards else more
        self.page_rows, self.columns = page, [name for name, _ in columns]
        self.display_page_controls = self.has_next or self.has_previous
        return page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if self.page_rows:
            return self._link(Position(self._values(self.page_rows[-1])))
        return self._link(Position(self.position.values))  # an empty page read backwards

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.page_rows:
            return self._link(Position(self._values(self.page_rows[0]), backwards=True))
        return self._link(Position(self.position.values, backwards=True))

    # --- Cursors: base64url JSON {"p": [values...], "b": 0|1} ------------------------------

    def encode_cursor(self, position: Position) -> str:
        payload = {
            "p": [_jsonable(value) for value in position.values],
            "b": int(position.backwards),
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_cursor(self, request) -> Position | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None or encoded == "":
            return None
        try:
            if len(encoded) > MAX_CURSOR_LENGTH:
                raise ValueError
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            payload = json.loads(raw)
            values, backwards = payload["p"], payload["b"]
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            raise self._invalid_cursor() from None
        if (
            not isinstance(values, list)
            or len(values) != len(self.ordering)
            or backwards not in (0, 1)
            or not all(_plain_value(value) for value in values)
        ):
            raise self._invalid_cursor()
        return Position(tuple(values), backwards=bool(backwards))

    def _link(self, position: Position) -> str:
        return replace_query_param(
            self.base_url, self.cursor_query_param, self.encode_cursor(position)
        )

    def _values(self, row: Any) -> tuple[Any, ...]:
        if isinstance(row, dict):
            return tuple(row[name] for name in self.columns)
        return tuple(getattr(row, name) for name in self.columns)

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    # --- Parameters ----------------------------------------------------------------------

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


def _after(columns: list[tuple[str, bool]], values: tuple[Any, ...], backwards: bool) -> Q:
    """Rows strictly after ``values`` in the (column, descending) ordering, read forwards or
    backwards: (a, b) > (x, y) is a > x OR (a = x AND b > y), and so on for more columns.

    The leading ``a >= x`` repeats what the OR implies so the database can start its index
    scan at x instead of filtering from the first row.
    """

    def operator(descending: bool, strict: bool = True) -> str:
        forwards = descending == backwards  # ascending read forwards, or descending backwards
        return ("gt" if forwards else "lt") + ("" if strict else "e")

    condition: Q | None = None
    for (name, descending), value in reversed(list(zip(columns, values, strict=True))):
        beyond = Q(**{f"{name}__{operator(descending)}": value})
        condition = beyond if condition is None else beyond | (Q(**{name: value}) & condition)
    (first, descending), first_value = columns[0], values[0]
    return Q(**{f"{first}__{operator(descending, strict=False)}": first_value}) & condition


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _plain_value(value: Any) -> bool:
    """What a position value may be: a string (without NUL, which PostgreSQL refuses) or a
    whole number. Anything else was not made by encode_cursor."""
    if isinstance(value, str):
        return "\x00" not in value
    return isinstance(value, int) and not isinstance(value, bool)
