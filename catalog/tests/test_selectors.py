"""catalog.selectors: the row shapes every catalog read goes through, in fixed queries."""

from __future__ import annotations

import pytest

from catalog import selectors
from catalog.extensions import book_extensions, register_book_extension, unregister_book_extension
from catalog.models import Book, Copy, CopyStatus
from catalog.serializers import AuthorSerializer, BookSerializer, CopySerializer, SubjectSerializer
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dracula() -> Book:
    book = BookFactory(
        title="Dracula", authors=["Bram Stoker", "An Editor"], subjects=["Horror", "Gothic"]
    )
    CopyFactory(book=book, barcode="D-2")
    CopyFactory(book=book, barcode="D-1", status=CopyStatus.ON_LOAN)
    CopyFactory(book=book, barcode="D-3", status=CopyStatus.LOST)
    return book


@pytest.fixture
def catalog_alone():
    """The catalog's own rows: what other apps add to books (catalog.extensions) set aside."""
    others = book_extensions()
    for extension in others:
        unregister_book_extension(extension.name)
    yield
    for extension in others:
        register_book_extension(extension)


@pytest.mark.usefixtures("catalog_alone")
def test_a_book_row_counts_its_copies_and_orders_its_related_rows(dracula):
    (row,) = selectors.BOOK_ROWS.present(selectors.book_rows().filter(pk=dracula.pk))

    assert list(row) == list(selectors.BOOK_FIELDS)
    assert (row["copies_total"], row["copies_available"]) == (3, 1)
    assert row["author"] == "Bram Stoker, An Editor"  # title-page order
    assert [s["name"] for s in row["subjects"]] == ["Gothic", "Horror"]  # by name


@pytest.mark.usefixtures("catalog_alone")
def test_a_book_page_is_four_queries_whatever_its_size(django_assert_num_queries):
    for n in range(12):
        CopyFactory(book=BookFactory(authors=[f"Writer {n}", "Common"], subjects=[f"S{n}"]))

    for size in (1, 12):
        with django_assert_num_queries(4):
            rows = selectors.BOOK_ROWS.present(selectors.book_rows()[:size])
        assert len(rows) == size


def test_book_detail_is_the_list_row_of_one_book(dracula):
    listed = selectors.BOOK_ROWS.present(selectors.book_rows())
    assert selectors.book_detail(dracula.pk) == listed[0]
    assert selectors.book_detail(987654) is None


def test_a_detail_object_gives_the_same_row_as_the_list(dracula):
    obj = selectors.BOOK_ROWS.annotate(Book.objects.filter(pk=dracula.pk)).get()
    assert selectors.BOOK_ROWS.row_of(obj) == selectors.book_rows().get(pk=dracula.pk)


def test_available_filter_looks_at_the_copies_on_the_shelf(dracula):
    without = BookFactory(title="Carmilla")
    CopyFactory(book=without, status=CopyStatus.WITHDRAWN)

    on_shelf = selectors.book_filter_available(Book.objects.all(), available=True)
    none_on_shelf = selectors.book_filter_available(Book.objects.all(), available=False)

    assert list(on_shelf) == [dracula]
    assert list(none_on_shelf) == [without]


def test_book_copies_are_the_copy_rows_by_barcode(dracula):
    copies = selectors.book_copies(dracula.pk)
    assert [c["barcode"] for c in copies] == ["D-1", "D-2", "D-3"]
    assert {c["book"] for c in copies} == {dracula.pk}


@pytest.mark.parametrize(
    ("shape", "serializer", "model"),
    [
        (selectors.AUTHOR_ROWS, AuthorSerializer, "author"),
        (selectors.SUBJECT_ROWS, SubjectSerializer, "subject"),
        (selectors.COPY_ROWS, CopySerializer, "copy"),
    ],
)
def test_each_row_shape_has_exactly_its_serializers_fields_but_the_url(
    dracula, shape, serializer, model
):
    queryset = {
        "author": dracula.authors.all(),
        "subject": dracula.subjects.all(),
        "copy": Copy.objects.filter(book=dracula),
    }[model]
    rows = shape.present(shape.rows(queryset))
    assert rows
    assert {frozenset(row) for row in rows} == {frozenset(serializer().fields) - {"url"}}


def test_the_book_row_has_exactly_its_serializers_fields_but_the_url(dracula):
    (row,) = selectors.BOOK_ROWS.present(selectors.book_rows())
    assert set(row) == set(BookSerializer().fields) - {"url"}


def test_author_and_subject_rows_count_their_books(dracula):
    BookFactory(authors=["Bram Stoker"], subjects=["Horror"])
    authors = {
        r["name"]: r["book_count"]
        for r in selectors.AUTHOR_ROWS.present(selectors.AUTHOR_ROWS.rows(dracula.authors.all()))
    }
    subjects = {
        r["name"]: r["book_count"]
        for r in selectors.SUBJECT_ROWS.present(selectors.SUBJECT_ROWS.rows(dracula.subjects.all()))
    }
    assert authors == {"Bram Stoker": 2, "An Editor": 1}
    assert subjects == {"Horror": 2, "Gothic": 1}
