"""factory_boy factories for catalog rows. Books made here go through the services so that
derived data (search text, author order) is exactly what production writes produce.

``BookFactory(...)`` and ``BookFactory(...)`` both make and save a row; the type checker
knows both return the model (``ReturnsModel``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import factory
from stdnum import ean

from catalog import rules, services
from catalog.models import Author, Book, Copy, Subject

M = TypeVar("M")


class ReturnsModel(Generic[M]):
    """Tells the type checker what factory_boy does at run time: calling a factory class makes
    a row of its model (its own typing covers only ``create()``). Nothing at run time."""

    if TYPE_CHECKING:

        def __new__(cls, *args: Any, **kwargs: Any) -> M: ...  # type: ignore[misc]  # not an instance of the factory, on purpose


def valid_isbn13(n: int) -> str:
    """A valid ISBN-13 (correct check digit) for any whole number n."""
    body = f"978{n % 10**9:09d}"
    return body + ean.calc_check_digit(body)


class AuthorFactory(ReturnsModel[Author], factory.django.DjangoModelFactory[Author]):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author Number{n}")
    sort_name = factory.LazyAttribute(lambda a: rules.sort_name_for(a.name))


class SubjectFactory(ReturnsModel[Subject], factory.django.DjangoModelFactory[Subject]):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Subject {n}")


class BookFactory(ReturnsModel[Book], factory.Factory[Book]):
    """Builds through services.book_create; pass authors=[...] / subjects=[...] as names or ids."""

    class Meta:
        model = Book

    title = factory.Sequence(lambda n: f"Book Title {n}")
    subtitle = ""
    isbn = factory.Sequence(lambda n: valid_isbn13(n + 1000))
    publisher = "Test Press"
    year = 1900
    language = "en"
    authors = factory.LazyFunction(list)
    subjects = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.book_create(**kwargs)

    _build = _create


class CopyFactory(ReturnsModel[Copy], factory.django.DjangoModelFactory[Copy]):
    class Meta:
        model = Copy

    book = factory.SubFactory(BookFactory)
    barcode = factory.Sequence(lambda n: f"B{n:06d}")
    location = "Main shelves"
