"""Keyset ("cursor") paging over any queryset: stable under inserts, no COUNT(*), no OFFSET.

A page starts at a :class:`Position` - the values of *every* ordering column of a row, and the
direction to read in - and holds the rows strictly after it. The ordering must end in a unique
column (the id) so that every row has its own position; then the pages are exact whatever the
ties, and each is one index range scan on the matching (column, id) index.

Why not DRF's CursorPagination: it positions on the first ordering column only and steps over
ties with an offset it caps at 1000, so past 1000 books with one title its pages repeat forever.

This module is plain Django (no DRF) so that the HTML pages and the API page the same way:
``shelfmark.api.pagination`` adapts it to DRF, ``catalog.views.book_list`` calls it directly.
Cursors are what the clients hold, so the wire format is a contract: base64url (unpadded) of the
JSON ``{"p": [values...], "b": 0|1}``. Anything a client sends is checked here, and everything
wrong with it - a forged, truncated or stale cursor, a position that does not fit the ordering's
columns - is an :class:`InvalidCursor`, never a server error.

Ordering columns must not be NULL (coalesce them in an annotation, like the books' year): a NULL
cannot be compared, so a position holding one could not be resumed from.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import DateTimeField, Field, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

__all__ = [
    "INVALID_CURSOR_MESSAGE",
    "MAX_CURSOR_LENGTH",
    "InvalidCursor",
    "InvalidOrdering",
    "InvalidPageSize",
    "KeysetError",
    "Page",
    "Position",
    "decode_cursor",
    "encode_cursor",
    "page",
    "parse_page_size",
    "resolve_ordering",
    "strictly_after",
]

Row = TypeVar("Row")  # a model instance, or a dict from .values()

#: The cap bounds the work a forged cursor can cause.
#: The longest position is a 500-character title: at most 2,000 bytes of UTF-8 (4 per
#: character), 2,700 characters of base64. Under gunicorn's 4,094-byte request-line limit.
MAX_CURSOR_LENGTH = 3000
# In English here (the tests compare against it); translated when raised (InvalidCursor).
INVALID_CURSOR_MESSAGE = gettext_noop(
    "Invalid cursor: use the 'next' and 'previous' links as given."
)
# Every number a real position holds fits a 64-bit column; a larger one can only be forged, and
# is refused here rather than by the database driver (SQLite overflows on it).
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


# --- Errors ----------------------------------------------------------------------------------


class KeysetError(ValueError):
    """Bad paging input from a client. Each subclass is one query parameter's problem, so an
    adapter can name the parameter; ``str(error)`` is the message to show."""


class InvalidCursor(KeysetError):
    """A cursor or position not made by this module for this ordering (forged, truncated,
    damaged in transit, or from another ordering).

    ``str(error)`` is the same for every cause - what to do next, since a client cannot repair a
    cursor - and ``reason`` says what exactly was wrong, for logs and tests.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(_(INVALID_CURSOR_MESSAGE))
        self.reason = reason

    def __repr__(self) -> str:
        return f"InvalidCursor({self.reason!r})"


class InvalidOrdering(KeysetError):
    """An ordering key that is not in the view's whitelist; the message lists the choices."""

    def __init__(self, key: str, choices: Sequence[str]) -> None:
        allowed = ", ".join(sorted(choices))
        super().__init__(
            _("Unknown ordering '%(key)s'. Use one of: %(allowed)s (prefix - to reverse).")
            % {"key": key, "allowed": allowed}
        )
        self.key = key


class InvalidPageSize(KeysetError):
    """A page size that is not a whole number within the allowed range."""

    def __init__(self, maximum: int) -> None:
        super().__init__(_("Must be a whole number from 1 to %(maximum)s.") % {"maximum": maximum})
        self.maximum = maximum


# --- Positions and cursors -------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a page starts: the ordering values of a row, and which way to read from it.

    Read forwards, the page is the rows after the row at ``values``; read backwards
    (``backwards=True``), the rows before it, still returned in the ordering's order.
    """

    values: tuple[Any, ...]
    backwards: bool = False


def encode_cursor(position: Position) -> str:
    """The cursor for ``position``: base64url (unpadded) of ``{"p": [values], "b": 0|1}``.

    Dates and datetimes travel as ISO 8601 text, which the database compares with the column
    exactly as it would the value itself.
    """
    payload = {"p": [_jsonable(value) for value in position.values], "b": int(position.backwards)}
    # As UTF-8, not \uXXXX escapes: a title in Greek or Japanese stays 2-3 bytes a character.
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# How a JSON value that no position holds is named in InvalidCursor.reason.
_JSON_KINDS: dict[type, str] = {
    bool: "true or false",
    float: "a fractional number",
    type(None): "null",
    list: "an array",
    dict: "an object",
}


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor from :func:`encode_cursor` holds; ``None`` for no cursor ("" too,
    as a query string ``?cursor=`` gives).

    Checks everything that does not depend on the ordering: size, encoding, shape, and that each
    value is something encode_cursor writes (text without NUL - which PostgreSQL refuses - or a
    64-bit whole number). Whether the values fit the ordering's columns is :func:`page`'s check.
    Raises :class:`InvalidCursor`.
    """
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor(f"longer than {MAX_CURSOR_LENGTH} characters")
    try:
        # validate=True: without it base64 silently skips characters outside the alphabet.
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):  # also a non-ASCII str
        raise InvalidCursor("not base64url") from None
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidCursor("not UTF-8 JSON") from None
    if not isinstance(payload, dict) or set(payload) != {"p", "b"}:
        raise InvalidCursor('not an object with exactly the keys "p" and "b"')
    values, backwards = payload["p"], payload["b"]
    if not isinstance(values, list) or not values:
        raise InvalidCursor('"p" is not a non-empty list')
    if type(backwards) is not int or backwards not in (0, 1):
        raise InvalidCursor('"b" is not 0 or 1')
    for value in values:
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidCursor("a text value contains NUL")
        elif type(value) is int:
            if not _INT_MIN <= value <= _INT_MAX:
                raise InvalidCursor("a number is out of the 64-bit range")
        else:
            kind = _JSON_KINDS.get(type(value), type(value).__name__)
            raise InvalidCursor(f"a value is {kind}, not text or a whole number")
    return Position(tuple(values), backwards=bool(backwards))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    return value


# --- Parameters ------------------------------------------------------------------------------


def resolve_ordering(
    key: str | None, choices: Mapping[str, Sequence[str]], *, default: str
) -> tuple[str, ...]:
    """The database ordering for a client's ordering key, e.g. ``"-title"`` with
    ``{"title": ("title", "id")}`` gives ``("-title", "-id")``.

    ``choices`` is the whitelist - what clients may send, and the columns it means (ending in a
    unique one); clients never name columns themselves. ``None`` (no parameter) means
    ``default``; a leading ``-`` reverses every column (``("-relevance", "id")`` becomes
    ``("relevance", "-id")``). Raises :class:`InvalidOrdering`.
    """
    if key is None:
        key = default
    descending = key.startswith("-")
    columns = choices.get(key.removeprefix("-"))
    if columns is None:
        raise InvalidOrdering(key, list(choices))
    if not descending:
        return tuple(columns)
    # Reversed, each column turns round: a column that descends ("-relevance") ascends.
    return tuple(column[1:] if column.startswith("-") else f"-{column}" for column in columns)


def parse_page_size(raw: str | None, *, default: int, maximum: int) -> int:
    """The page size a client asked for (``None``: ``default``), from 1 to ``maximum``.

    ASCII digits only, and not many: ``str.isdigit()`` accepts "²", which int() refuses, and
    int() refuses more than 4300 digits - both were 500s. Raises :class:`InvalidPageSize`.
    """
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= maximum:
        raise InvalidPageSize(maximum)
    return int(raw)


# --- Paging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of rows in the ordering's order, and where the neighbouring pages start
    (``None``: there is no page that way)."""

    rows: list[Row]
    next: Position | None
    previous: Position | None


def page(
    queryset: QuerySet[Any, Row],
    *,
    ordering: Sequence[str],
    size: int,
    position: Position | None = None,
) -> Page[Row]:
    """The ``size`` rows of ``queryset`` after ``position`` (or the first ones), in ``ordering``.

    ``ordering`` is Django ``order_by`` columns (``"-title"`` descends), the last one unique; it
    replaces the queryset's own ordering. Rows may be model instances or ``.values()`` dicts
    holding every ordering column. One query: it fetches one row more than ``size`` to know
    whether another page follows, and never counts.

    A position that does not fit the ordering - the wrong number of values, text for a number,
    a malformed date - raises :class:`InvalidCursor`.
    """
    if size < 1:
        raise ValueError(f"page size must be at least 1, not {size}")
    columns = _columns(ordering)
    backwards = position is not None and position.backwards
    rows = queryset.order_by(
        *(f"-{name}" if descending != backwards else name for name, descending in columns)
    )
    if position is None:
        fetched = list(rows[: size + 1])
    else:
        if len(position.values) != len(columns):
            raise InvalidCursor(
                f"{len(position.values)} position values for {len(columns)} ordering columns"
            )
        start = Position(_fitted(queryset, columns, position.values), backwards=backwards)
        try:
            # Django converts the values for their columns when the filter is built (ValueError,
            # TypeError, ValidationError); the database may still refuse one (DataError).
            fetched = list(rows.filter(strictly_after(ordering, start))[: size + 1])
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            raise InvalidCursor("a value does not fit its ordering column") from None
    more = len(fetched) > size
    found = fetched[:size]
    if backwards:
        found.reverse()
    # Reading forwards from a position there were rows before it; reading backwards, the row at
    # the position itself comes after the page.
    has_next = True if backwards else more
    has_previous = more if backwards else position is not None
    names = [name for name, _descending in columns]
    if found:
        first, last = _values(found[0], names), _values(found[-1], names)
    else:
        # An empty page (read past either end, so there was a position) links back to where it
        # was read from.
        first = last = position.values if position is not None else ()
    return Page(
        rows=found,
        next=Position(last) if has_next else None,
        previous=Position(first, backwards=True) if has_previous else None,
    )


def strictly_after(ordering: Sequence[str], position: Position) -> Q:
    """Rows strictly after ``position`` in ``ordering``, or strictly before it when the position
    reads backwards: (a, b) > (x, y) is ``a > x OR (a = x AND b > y)``, and so on for more
    columns, with ``>`` turned to ``<`` for a descending column (and again for backwards).

    The leading ``a >= x`` repeats what the OR implies, so that the database starts its index
    scan at x instead of filtering from the first row.
    """
    columns = _columns(ordering)
    if len(position.values) != len(columns):
        raise ValueError(f"{len(position.values)} values for {len(columns)} ordering columns")

    def operator(descending: bool, *, strict: bool = True) -> str:
        greater = descending == position.backwards  # ascending forwards, descending backwards
        return ("gt" if greater else "lt") + ("" if strict else "e")

    condition: Q | None = None
    for (name, descending), value in reversed(list(zip(columns, position.values, strict=True))):
        beyond = Q(**{f"{name}__{operator(descending)}": value})
        condition = beyond if condition is None else beyond | (Q(**{name: value}) & condition)
    assert condition is not None  # _columns refuses an empty ordering
    (first, descending), first_value = columns[0], position.values[0]
    return Q(**{f"{first}__{operator(descending, strict=False)}": first_value}) & condition


def _fitted(
    queryset: QuerySet, columns: Sequence[tuple[str, bool]], values: Sequence[Any]
) -> tuple[Any, ...]:
    """``values`` with each date-and-time made an aware datetime in UTC, or InvalidCursor.

    Django would take a date-and-time without a UTC offset, but warn (a RuntimeWarning any
    client could trigger at will), and pass an offset PostgreSQL refuses (beyond 15:59) to the
    database, whose error would also break an enclosing transaction. encode_cursor writes aware
    datetimes, so anything else was forged; in UTC the database compares the same instant.
    """
    if not settings.USE_TZ:
        return tuple(values)
    fitted = []
    for (name, _descending), value in zip(columns, values, strict=True):
        if isinstance(_output_field(queryset, name), DateTimeField):
            parsed = value if isinstance(value, datetime.datetime) else None
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # a well-formed but impossible date
                    parsed = parse_datetime(value)
            if parsed is None or timezone.is_naive(parsed):
                raise InvalidCursor(f"{name}: not a date and time with a UTC offset")
            try:
                value = parsed.astimezone(datetime.UTC)
            except OverflowError:  # year 1 or 9999, shifted out of range
                raise InvalidCursor(f"{name}: a date and time out of range") from None
        fitted.append(value)
    return tuple(fitted)


def _output_field(queryset: QuerySet, name: str) -> Field | None:
    """The model field or annotation type of an ordering column; None when it is neither
    (``pk``, a lookup across a relation), where nothing is checked before the query."""
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        try:
            return annotation.output_field
        except FieldError:  # mixed types Django cannot resolve: nothing to check
            return None
    try:
        return queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _columns(ordering: Sequence[str]) -> list[tuple[str, bool]]:
    """``("-title", "id")`` as ``[("title", True), ("id", False)]``: (name, descending)."""
    if isinstance(ordering, str) or not ordering:
        raise ValueError(f"ordering must be a non-empty sequence of columns, not {ordering!r}")
    return [(column.removeprefix("-"), column.startswith("-")) for column in ordering]


def _values(row: object, names: Sequence[str]) -> tuple[Any, ...]:
    """A row's ordering values: a ``.values()`` dict's items, or a model instance's attributes."""
    if isinstance(row, dict):
        return tuple(row[name] for name in names)
    return tuple(getattr(row, name) for name in names)
