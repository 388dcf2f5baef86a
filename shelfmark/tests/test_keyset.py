"""shelfmark.keyset on its own: cursors, parameters, the "strictly after" filter and paging.

The API tests (catalog/tests/test_api_books.py, shelfmark/tests/test_errors.py) cover the same
behaviour through HTTP; these pin the algorithm, with the catalog's books as the rows.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from hypothesis import assume, given
from hypothesis import strategies as st

from catalog import selectors
from catalog.models import Book
from catalog.tests.factories import BookFactory
from shelfmark.keyset import (
    INVALID_CURSOR_MESSAGE,
    MAX_CURSOR_LENGTH,
    InvalidCursor,
    InvalidOrdering,
    InvalidPageSize,
    Page,
    Position,
    decode_cursor,
    encode_cursor,
    page,
    parse_page_size,
    resolve_ordering,
    strictly_after,
)


def cursor_of(payload: Any) -> str:
    """A cursor holding any JSON, encoded the way encode_cursor does (to forge well-formed ones)."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- Cursors -------------------------------------------------------------------------------------


def test_the_wire_format_is_unpadded_base64url_json():
    # Clients hold cursors (bookmarks, next links): the format cannot change under them.
    assert encode_cursor(Position(("Emma", 3))) == "eyJwIjpbIkVtbWEiLDNdLCJiIjowfQ"
    assert json.loads(base64.urlsafe_b64decode("eyJwIjpbIkVtbWEiLDNdLCJiIjowfQ==")) == {
        "p": ["Emma", 3],
        "b": 0,
    }
    assert decode_cursor("eyJwIjpbIkVtbWEiLDNdLCJiIjowfQ") == Position(("Emma", 3))
    assert decode_cursor(cursor_of({"p": [1813, 7], "b": 1})) == Position((1813, 7), True)


@pytest.mark.parametrize(
    ("values", "decoded"),
    [
        (("Pride and Prejudice", 1), ("Pride and Prejudice", 1)),
        ((-1, -(2**63), 2**63 - 1, 0), (-1, -(2**63), 2**63 - 1, 0)),
        (("Ærø — 東京 🙂", "?&=/+ %", ""), ("Ærø — 東京 🙂", "?&=/+ %", "")),
        ((datetime.date(1813, 1, 28), 5), ("1813-01-28", 5)),
        (
            (datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC), 5),
            ("2024-02-29T23:59:59.999999+00:00", 5),
        ),
        (
            (
                datetime.datetime(
                    2024, 1, 1, 1, tzinfo=datetime.timezone(-datetime.timedelta(hours=5))
                ),
            ),
            ("2024-01-01T01:00:00-05:00",),
        ),
    ],
)
@pytest.mark.parametrize("backwards", [False, True])
def test_cursors_round_trip(values, decoded, backwards):
    # Dates and datetimes come back as ISO 8601 text, which the database compares as the value.
    cursor = encode_cursor(Position(values, backwards))

    assert decode_cursor(cursor) == Position(decoded, backwards)
    assert "=" not in cursor
    assert len(cursor) <= MAX_CURSOR_LENGTH


@given(
    # An ordering has at most one text column, at most as long as a title, without the
    # control characters the text rules remove; then whole numbers (the id).
    text=st.none()
    | st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc", "Cf"]), max_size=500),
    numbers=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=3),
    backwards=st.booleans(),
)
def test_any_position_of_text_and_whole_numbers_round_trips(text, numbers, backwards):
    values = ([] if text is None else [text]) + numbers
    assume(values)
    position = Position(tuple(values), backwards)

    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_is_no_position(cursor):
    assert decode_cursor(cursor) is None


FORGED_CURSORS = [
    ("A" * (MAX_CURSOR_LENGTH + 1), f"longer than {MAX_CURSOR_LENGTH}"),
    ("garbage!", "not base64url"),
    ("abcde", "not base64url"),  # a length no base64 has
    ("ab cd", "not base64url"),  # without validate=True, base64 would skip the space
    ("é", "not base64url"),
    (b64(b"\xff\xfe{}"), "not UTF-8 JSON"),
    (b64(b"p=abc&o=1"), "not UTF-8 JSON"),  # DRF's own cursor format
    (b64(b'{"p":[1],"b":0'), "not UTF-8 JSON"),
    (b64(b"[" * 760), "not UTF-8 JSON"),  # as deep as the length cap allows
    (b64(b"[" * 380 + b"]" * 380), "exactly the keys"),
    (cursor_of(["Emma", 3]), "exactly the keys"),
    (cursor_of("Emma"), "exactly the keys"),
    (cursor_of({"p": ["Emma", 3]}), "exactly the keys"),
    (cursor_of({"p": ["Emma", 3], "b": 0, "o": 5}), "exactly the keys"),
    (cursor_of({"p": "Emma", "b": 0}), '"p" is not a non-empty list'),
    (cursor_of({"p": [], "b": 0}), '"p" is not a non-empty list'),
    (cursor_of({"p": ["Emma", 3], "b": 2}), '"b" is not 0 or 1'),
    (cursor_of({"p": ["Emma", 3], "b": True}), '"b" is not 0 or 1'),
    (cursor_of({"p": ["Emma", 3], "b": "0"}), '"b" is not 0 or 1'),
    (cursor_of({"p": ["Emma", 3], "b": None}), '"b" is not 0 or 1'),
    (cursor_of({"p": ["Emma", 1.5], "b": 0}), "a fractional number"),
    (cursor_of({"p": ["Emma", 3.0], "b": 0}), "a fractional number"),
    (cursor_of({"p": [True, 3], "b": 0}), "true or false"),
    (cursor_of({"p": [None, 3], "b": 0}), "null"),
    (cursor_of({"p": [["Emma"], 3], "b": 0}), "an array"),
    (cursor_of({"p": [{"title": "Emma"}, 3], "b": 0}), "an object"),
    (cursor_of({"p": ["Emma\x00", 3], "b": 0}), "NUL"),  # PostgreSQL refuses NUL in text
    (cursor_of({"p": ["Emma", 2**63], "b": 0}), "64-bit"),
    (cursor_of({"p": ["Emma", -(2**63) - 1], "b": 0}), "64-bit"),
    (cursor_of({"p": ["Emma", 10**300], "b": 0}), "64-bit"),
    (b64(b'{"p":["Emma",1e999],"b":0}'), "a fractional number"),  # inf
    (b64(b'{"p":[NaN,3],"b":0}'), "a fractional number"),
]


@pytest.mark.parametrize(("cursor", "reason"), FORGED_CURSORS)
def test_a_forged_cursor_is_invalid_with_a_clear_message(cursor, reason):
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor)

    assert reason in caught.value.reason
    # One message for every cause: what to do next (a client cannot repair a cursor).
    assert (
        str(caught.value)
        == INVALID_CURSOR_MESSAGE
        == ("Invalid cursor: use the 'next' and 'previous' links as given.")
    )


@given(cursor=st.text(max_size=60) | st.binary(max_size=60).map(b64))
def test_any_text_is_a_position_or_invalid_cursor_never_another_error(cursor):
    try:
        position = decode_cursor(cursor)
    except InvalidCursor:
        return
    assert position is None or isinstance(position, Position)


# --- Parameters ----------------------------------------------------------------------------------

ORDERINGS = {"title": ("title", "id"), "year": ("sort_year", "id"), "created": ("created_at", "id")}


@pytest.mark.parametrize(
    ("key", "default", "ordering"),
    [
        (None, "title", ("title", "id")),
        (None, "-created", ("-created_at", "-id")),
        ("title", "-created", ("title", "id")),
        ("-title", "title", ("-title", "-id")),
        ("year", "title", ("sort_year", "id")),
        ("-year", "title", ("-sort_year", "-id")),
    ],
)
def test_an_ordering_key_resolves_through_the_whitelist(key, default, ordering):
    assert resolve_ordering(key, ORDERINGS, default=default) == ordering


@pytest.mark.parametrize("key", ["", "-", "--title", "id", "sort_year", "title,year", "Title"])
def test_an_unknown_ordering_key_lists_the_choices(key):
    with pytest.raises(InvalidOrdering) as caught:
        resolve_ordering(key, ORDERINGS, default="title")

    assert str(caught.value) == (
        f"Unknown ordering '{key}'. Use one of: created, title, year (prefix - to reverse)."
    )
    assert caught.value.key == key


@pytest.mark.parametrize(("raw", "size"), [(None, 20), ("1", 1), ("007", 7), ("100", 100)])
def test_a_page_size_within_the_range_is_taken(raw, size):
    assert parse_page_size(raw, default=20, maximum=100) == size


@pytest.mark.parametrize(
    "raw", ["", "0", "101", "-1", "1.5", " 5", "5 ", "\u00b2", "\u0665", "0x10", "1e2", "9" * 5000]
)
def test_any_other_page_size_is_refused_with_the_range(raw):
    with pytest.raises(InvalidPageSize, match=r"^Must be a whole number from 1 to 100\.$"):
        parse_page_size(raw, default=20, maximum=100)


# --- The "strictly after" filter -----------------------------------------------------------------


def test_strictly_after_starts_with_a_greater_or_equal_on_the_first_column():
    # The leading >= is implied by the OR; it is there so the database scans the index from x.
    assert strictly_after(("title", "id"), Position(("Emma", 3))) == Q(title__gte="Emma") & (
        Q(title__gt="Emma") | (Q(title="Emma") & Q(id__gt=3))
    )
    assert strictly_after(("-year", "title", "id"), Position((1900, "Emma", 3))) == Q(
        year__lte=1900
    ) & (
        Q(year__lt=1900) | (Q(year=1900) & (Q(title__gt="Emma") | (Q(title="Emma") & Q(id__gt=3))))
    )
    # Backwards flips every comparison.
    assert strictly_after(("title", "-id"), Position(("Emma", 3), backwards=True)) == Q(
        title__lte="Emma"
    ) & (Q(title__lt="Emma") | (Q(title="Emma") & Q(id__gt=3)))
    sql = str(Book.objects.filter(strictly_after(("title", "id"), Position(("Emma", 3)))).query)
    assert '"title" >= Emma AND' in sql


def test_strictly_after_needs_one_value_per_column():
    with pytest.raises(ValueError, match="2 values for 1 ordering columns"):
        strictly_after(("id",), Position((1, 2)))


ORDERINGS_WITH_TIES = [
    ("title", "id"),
    ("-title", "-id"),
    ("title", "-id"),
    ("year", "title", "id"),
    ("-year", "title", "-id"),
    ("year", "-title", "id"),
]


@pytest.fixture
def books_with_ties(db) -> list[Book]:
    # Three titles and two years for 24 books: every column but the id ties, in every mix. One
    # insert: paging reads only these columns (through the services, 24 books took 0.45 s a test).
    return Book.objects.bulk_create(
        Book(title=f"Same Title {n % 3}", year=1900 + n % 2) for n in range(24)
    )


def sort_key(book: Book, ordering: tuple[str, ...]) -> tuple:
    """Python's view of the ordering (descending numbers negated; titles are plain ASCII)."""
    key: list[Any] = []
    for column in ordering:
        value = getattr(book, column.removeprefix("-"))
        if column.startswith("-"):
            value = -value if isinstance(value, int) else tuple(-ord(c) for c in value)
        key.append(value)
    return tuple(key)


@pytest.mark.parametrize("ordering", ORDERINGS_WITH_TIES)
@pytest.mark.parametrize("backwards", [False, True])
def test_strictly_after_is_exactly_the_rows_beyond_the_position(
    books_with_ties, ordering, backwards
):
    ordered = sorted(books_with_ties, key=lambda book: sort_key(book, ordering))
    columns = [column.removeprefix("-") for column in ordering]
    for index in (0, 5, 11, 12, 23):
        at = ordered[index]
        position = Position(tuple(getattr(at, column) for column in columns), backwards)

        found = Book.objects.filter(strictly_after(ordering, position))

        expected = ordered[:index] if backwards else ordered[index + 1 :]
        assert {book.pk for book in found} == {book.pk for book in expected}


# --- Paging --------------------------------------------------------------------------------------


def walk_forwards(queryset, ordering, size) -> list[Page]:
    pages = [page(queryset, ordering=ordering, size=size)]
    while pages[-1].next is not None:
        pages.append(page(queryset, ordering=ordering, size=size, position=pages[-1].next))
        assert len(pages) < 100
    return pages


def walk_backwards(queryset, ordering, size, last: Page) -> list[Page]:
    pages = [last]
    while pages[0].previous is not None:
        pages.insert(0, page(queryset, ordering=ordering, size=size, position=pages[0].previous))
        assert len(pages) < 100
    return pages


def ids(pages: list[Page]) -> list[list[int]]:
    return [[row.pk if isinstance(row, Book) else row["id"] for row in p.rows] for p in pages]


@pytest.mark.parametrize("ordering", ORDERINGS_WITH_TIES)
@pytest.mark.parametrize("size", [1, 5, 24, 25])
def test_pages_walk_every_row_once_forwards_and_back(books_with_ties, ordering, size):
    expected = list(Book.objects.order_by(*ordering).values_list("id", flat=True))

    forwards = walk_forwards(Book.objects.all(), ordering, size)

    assert [book_id for p in ids(forwards) for book_id in p] == expected
    assert [len(p.rows) for p in forwards[:-1]] == [size] * (len(forwards) - 1)
    assert len(forwards) == max(1, -(-24 // size))
    assert forwards[0].previous is None
    assert all(p.previous is not None for p in forwards[1:])
    # Back from the last page, through cursors, every page comes back the same.
    backwards = walk_backwards(Book.objects.all(), ordering, size, last=forwards[-1])
    assert ids(backwards) == ids(forwards)
    assert all(p.next is not None for p in backwards[:-1])


def test_pages_through_cursors_match_pages_through_positions(books_with_ties):
    # Real cursors turn datetimes into text; the pages must not change.
    queryset, ordering = Book.objects.all(), ("-created_at", "title", "-id")
    first = page(queryset, ordering=ordering, size=7)
    assert first.next is not None
    assert isinstance(first.next.values[0], datetime.datetime)

    direct = page(queryset, ordering=ordering, size=7, position=first.next)
    via_cursor = page(
        queryset, ordering=ordering, size=7, position=decode_cursor(encode_cursor(first.next))
    )

    assert ids([direct]) == ids([via_cursor])
    assert len(direct.rows) == 7


def test_dict_rows_and_annotated_columns_page_like_models(db):
    # The catalog's own list: .values() rows ordered on an annotation (year, missing ones last).
    for n in range(17):
        BookFactory(title=f"Book {n % 4}", year=None if n % 3 == 0 else 1900 + n % 2)
    queryset, ordering = selectors.book_rows(), ("-sort_year", "-id")

    forwards = walk_forwards(queryset, ordering, 4)

    assert [row["id"] for p in forwards for row in p.rows] == list(
        queryset.order_by(*ordering).values_list("id", flat=True)
    )
    assert all(isinstance(row, dict) for p in forwards for row in p.rows)
    assert ids(walk_backwards(queryset, ordering, 4, forwards[-1])) == ids(forwards)


def test_pages_past_a_thousand_ties_end(db):
    # DRF's cursor steps over ties with an offset capped at 1000: its pages repeat from there.
    Book.objects.bulk_create(Book(title="Untitled") for _ in range(1150))

    pages = walk_forwards(Book.objects.all(), ("title", "id"), 100)

    assert len(pages) == 12
    assert sorted(book_id for p in ids(pages) for book_id in p) == sorted(
        Book.objects.values_list("id", flat=True)
    )


def test_a_page_is_one_query_that_never_counts(books_with_ties, django_assert_num_queries):
    first = page(Book.objects.all(), ordering=("title", "id"), size=5)

    with django_assert_num_queries(1) as context:
        page(Book.objects.all(), ordering=("title", "id"), size=5, position=first.next)

    (query,) = context.captured_queries
    assert "COUNT(" not in query["sql"].upper()
    assert "OFFSET" not in query["sql"].upper()


def test_a_page_survives_rows_inserted_before_it(db):
    for n in range(6):
        BookFactory(title=f"Title {n}")
    first = page(Book.objects.all(), ordering=("title", "id"), size=3)
    BookFactory(title="A new first book")

    second = page(Book.objects.all(), ordering=("title", "id"), size=3, position=first.next)

    assert [book.title for book in second.rows] == ["Title 3", "Title 4", "Title 5"]


def test_an_empty_queryset_is_one_empty_page(db):
    result = page(Book.objects.all(), ordering=("title", "id"), size=10)

    assert result == Page(rows=[], next=None, previous=None)


def test_a_page_exactly_full_has_no_next(db):
    for n in range(3):
        BookFactory(title=f"Title {n}")

    result = page(Book.objects.all(), ordering=("title", "id"), size=3)

    assert len(result.rows) == 3
    assert (result.next, result.previous) == (None, None)


def test_empty_pages_past_either_end_link_back_to_where_they_were_read(books_with_ties):
    queryset, ordering = Book.objects.all(), ("title", "id")
    beyond_the_end = Position(("Zzz", 0))
    before_the_start = Position(("Aaa", 0), backwards=True)

    after = page(queryset, ordering=ordering, size=5, position=beyond_the_end)
    before = page(queryset, ordering=ordering, size=5, position=before_the_start)

    assert after == Page(rows=[], next=None, previous=Position(("Zzz", 0), backwards=True))
    assert before == Page(rows=[], next=Position(("Aaa", 0)), previous=None)
    last = page(queryset, ordering=ordering, size=5, position=after.previous)
    assert [book.title for book in last.rows] == ["Same Title 2"] * 5
    assert last.next == Position(tuple(getattr(last.rows[-1], c) for c in ("title", "id")))


def test_the_page_read_backwards_to_the_start_has_no_previous(books_with_ties):
    queryset, ordering = Book.objects.all(), ("title", "id")
    first, second = walk_forwards(queryset, ordering, 5)[:2]

    again = page(queryset, ordering=ordering, size=5, position=second.previous)

    assert ids([again]) == ids([first])
    assert again.previous is None
    assert again.next == first.next


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        (("title", "id"), ("Emma",)),  # one value short
        (("title", "id"), ("Emma", 3, 4)),  # one too many (another ordering's cursor)
        (("title", "id"), ("Emma", "three")),  # text for the id
        (("year", "id"), ("abc", 3)),  # text for a number
        (("year", "id"), ("1.5", 3)),
        (("created_at", "id"), ("yesterday", 3)),  # not a date
        (("created_at", "id"), ("2024-13-45T00:00:00+00:00", 3)),  # an impossible date
        (("created_at", "id"), ("2024-01-01", 3)),  # no time, no offset (Django would warn)
        (("created_at", "id"), ("2024-01-01T10:00:00", 3)),  # no offset
        (("created_at", "id"), (20240101, 3)),  # a number for a date
        (("created_at", "id"), ("0001-01-01T00:00:00+01:00", 3)),  # before year 1 in UTC
        (("-updated_at", "id"), ("9999-12-31T23:00:00-05:00", 3)),  # after 9999 in UTC
    ],
)
@pytest.mark.parametrize("backwards", [False, True])
def test_a_position_that_does_not_fit_its_columns_is_an_invalid_cursor(
    books_with_ties, ordering, values, backwards
):
    with pytest.raises(InvalidCursor):
        page(Book.objects.all(), ordering=ordering, size=5, position=Position(values, backwards))
    # Refused before the database saw it: a PostgreSQL error would have broken the transaction.
    assert Book.objects.count() == 24


def test_an_annotated_number_column_refuses_text_too(books_with_ties):
    with pytest.raises(InvalidCursor):
        page(
            selectors.book_rows(), ordering=("sort_year", "id"), size=5, position=Position(("x", 1))
        )


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        (("year", "id"), (2**62, 2**62)),  # beyond the column's range: simply nothing after
        (("-year", "-id"), (-(2**62), -(2**62))),
        (("created_at", "id"), ("2999-01-01T00:00:00+23:59", 1)),  # PostgreSQL's limit is 15:59
    ],
)
def test_a_position_beyond_every_row_is_an_empty_page(books_with_ties, ordering, values):
    result = page(Book.objects.all(), ordering=ordering, size=5, position=Position(values))

    assert result.rows == []
    assert result.previous == Position(values, backwards=True)


def test_a_number_in_a_text_column_compares_as_its_text(books_with_ties):
    queryset, ordering = Book.objects.all(), ("title", "id")

    as_number = page(queryset, ordering=ordering, size=5, position=Position((5, 1)))
    as_text = page(queryset, ordering=ordering, size=5, position=Position(("5", 1)))

    assert ids([as_number]) == ids([as_text]) == ids([page(queryset, ordering=ordering, size=5)])


def test_a_datetime_with_any_offset_is_the_same_instant(books_with_ties):
    queryset, ordering = Book.objects.all(), ("created_at", "id")
    pivot = Book.objects.order_by("created_at", "id")[10]
    utc = pivot.created_at.astimezone(datetime.UTC)
    shifted = utc.astimezone(datetime.timezone(datetime.timedelta(hours=-9, minutes=-30)))

    in_utc = page(
        queryset, ordering=ordering, size=5, position=Position((utc.isoformat(), pivot.pk))
    )
    elsewhere = page(
        queryset, ordering=ordering, size=5, position=Position((shifted.isoformat(), pivot.pk))
    )

    assert ids([in_utc]) == ids([elsewhere])
    assert pivot.pk not in ids([in_utc])[0]


@pytest.mark.parametrize("size", [0, -1])
def test_a_page_size_below_one_is_a_programming_error(db, size):
    with pytest.raises(ValueError, match="at least 1"):
        page(Book.objects.all(), ordering=("id",), size=size)


@pytest.mark.parametrize("ordering", [(), "title"])
def test_an_ordering_must_be_a_sequence_of_columns(db, ordering):
    with pytest.raises(ValueError, match="non-empty sequence of columns"):
        page(Book.objects.all(), ordering=ordering, size=5)


@pytest.mark.postgres
def test_the_page_query_starts_its_index_scan_at_the_position(books_with_ties):
    # What the leading >= is for: an Index Cond on the first column, not a filter on every row.
    queryset = Book.objects.order_by("title", "id").filter(
        strictly_after(("title", "id"), Position(("Same Title 1", 0)))
    )[:6]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plan = queryset.explain()
        finally:
            cursor.execute("RESET enable_seqscan")

    assert "book_title_idx" in plan
    assert "Index Cond: ((title)::text >= 'Same Title 1'::text)" in plan
