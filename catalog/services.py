"""Every write to the catalog. Each function owns its transaction and raises domain errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from catalog.isbn import IsbnError, normalize_isbn
from catalog.models import Author, Book, BookAuthor, Copy, CopyStatus, Subject
from catalog.search import search_document
from shelfmark.errors import Conflict, InvalidInput

# An author or subject in a write: an existing row's id, or a name (created when missing).
Ref = int | str

BOOK_FIELDS = frozenset(
    {"title", "subtitle", "isbn", "publisher", "year", "language", "pages", "description"}
)
COPY_FIELDS = frozenset({"barcode", "call_number", "location", "status", "acquired_on", "note"})


# --- Authors and subjects ----------------------------------------------------------------------


def sort_name_for(name: str) -> str:
    """'Jane Austen' -> 'Austen, Jane'; a single word stays as it is."""
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def author_create(*, name: str, sort_name: str = "") -> Author:
    name = clean_name(name, field="name")
    author = Author(name=name, sort_name=sort_name.strip() or sort_name_for(name))
    _save_named(author)
    return author


@transaction.atomic
def author_update(
    *, author: Author, name: str | None = None, sort_name: str | None = None
) -> Author:
    author = Author.objects.select_for_update().get(pk=author.pk)  # no lost concurrent edit
    renamed = False
    if name is not None:
        name = clean_name(name, field="name")
        renamed = name != author.name
        author.name = name
    if sort_name is not None:
        author.sort_name = sort_name.strip() or sort_name_for(author.name)
    _save_named(author)
    if renamed:
        _refresh_search_text(Book.objects.filter(book_authors__author=author))
    return author


@transaction.atomic
def author_delete(*, author: Author) -> None:
    author = Author.objects.select_for_update().get(pk=author.pk)
    count = author.book_authors.count()
    if count:
        raise Conflict(
            f"'{author.name}' is an author of {count} book(s); remove them from those books first.",
            code="in_use",
        )
    _delete(author, in_use=f"'{author.name}' was just added to a book; it is in use.")


def subject_create(*, name: str) -> Subject:
    subject = Subject(name=clean_name(name, field="name"))
    _save_named(subject)
    return subject


@transaction.atomic
def subject_update(*, subject: Subject, name: str) -> Subject:
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    subject.name = clean_name(name, field="name")
    _save_named(subject)
    return subject


def subject_delete(*, subject: Subject) -> None:
    subject.delete()  # books simply lose the subject


def _named(model: type[Author] | type[Subject], name: str) -> QuerySet:
    """Rows whose name equals ``name`` ignoring case, the way the unique constraint compares:
    LOWER() in the database (not Python's lower(), nor iexact's UPPER()), so lookups and the
    constraint agree on every name and the constraint's index serves the lookup."""
    return model.objects.filter(Exact(Lower("name"), Lower(Value(name))))


def _save_named(row: Author | Subject) -> None:
    kind = row._meta.verbose_name
    duplicate = Conflict(
        f"A{'n' if kind[0] in 'aeiou' else ''} {kind} named '{row.name}' already exists.",
        code="duplicate",
        field="name",
    )
    if _named(type(row), row.name).exclude(pk=row.pk).exists():
        raise duplicate
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # lost a race with an identical insert
        raise duplicate from None


def _get_or_create_named(model: type[Author] | type[Subject], name: str, **defaults: Any):
    row = _named(model, name).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return model.objects.create(name=name, **defaults)
    except IntegrityError:  # created meanwhile by a concurrent request: use that one
        row = _named(model, name).first()
        if row is None:
            raise
        return row


def _delete(row: Model, *, in_use: str) -> None:
    """Delete, turning a reference that appeared meanwhile into a 409, not a 500."""
    try:
        with transaction.atomic():
            row.delete()
    except (IntegrityError, ProtectedError):
        raise Conflict(in_use, code="in_use") from None


# --- Books -------------------------------------------------------------------------------------


@transaction.atomic
def book_create(
    *,
    title: str,
    subtitle: str = "",
    authors: Sequence[Ref] = (),
    isbn: str | None = None,
    publisher: str = "",
    year: int | None = None,
    language: str = "",
    pages: int | None = None,
    description: str = "",
    subjects: Sequence[Ref] = (),
) -> Book:
    fields = clean_book_fields(
        {
            "title": title,
            "subtitle": subtitle,
            "isbn": isbn,
            "publisher": publisher,
            "year": year,
            "language": language,
            "pages": pages,
            "description": description,
        }
    )
    _ensure_isbn_free(fields["isbn"])
    book = Book(**fields)
    _save_book(book)
    author_rows = _resolve_authors(authors)
    _set_authors(book, author_rows)
    book.subjects.set(_resolve_subjects(subjects))
    book.search_text = _search_text(book, author_rows)
    book.save(update_fields=["search_text"])
    return book


@transaction.atomic
def book_update(
    *,
    book: Book,
    authors: Sequence[Ref] | None = None,
    subjects: Sequence[Ref] | None = None,
    **changes: Any,
) -> Book:
    """Change the given fields only; ``authors``/``subjects`` replace the lists.

    The row is re-read under a lock and only the given columns are written, so two concurrent
    edits of different fields both survive.
    """
    unknown = set(changes) - BOOK_FIELDS
    if unknown:
        raise TypeError(f"book_update got unknown fields: {sorted(unknown)}")
    fields = clean_book_fields(changes)
    book = Book.objects.select_for_update().get(pk=book.pk)
    if "isbn" in fields and fields["isbn"] != book.isbn:
        _ensure_isbn_free(fields["isbn"], exclude_pk=book.pk)
    for name, value in fields.items():
        setattr(book, name, value)
    _save_book(book, update_fields=[*fields, "updated_at"])
    if authors is not None:
        _set_authors(book, _resolve_authors(authors))
    if subjects is not None:
        book.subjects.set(_resolve_subjects(subjects))
    _refresh_search_text(Book.objects.filter(pk=book.pk))
    book.refresh_from_db(fields=["search_text"])
    return book


@transaction.atomic
def book_delete(*, book: Book) -> None:
    # The lock makes a copy being added at this moment wait (its foreign key check) and then
    # fail cleanly, instead of this count missing it.
    book = Book.objects.select_for_update().get(pk=book.pk)
    count = book.copies.count()
    if count:
        raise Conflict(
            f"'{book.title}' has {count} cop{'y' if count == 1 else 'ies'}; delete or "
            "move them first (a book with physical copies is not deleted by accident).",
            code="in_use",
        )
    _delete(book, in_use=f"A copy of '{book.title}' was just added; it is in use.")


# --- Copies ------------------------------------------------------------------------------------


def copy_create(
    *,
    book: Book,
    barcode: str,
    call_number: str = "",
    location: str = "",
    status: str = CopyStatus.AVAILABLE,
    acquired_on: date | None = None,
    note: str = "",
) -> Copy:
    copy = Copy(
        book=book,
        barcode=clean_barcode(barcode),
        call_number=call_number.strip(),
        location=location.strip(),
        status=_clean_status(status),
        acquired_on=acquired_on,
        note=note,
    )
    _save_copy(copy)
    return copy


@transaction.atomic
def copy_update(*, copy: Copy, book: Book | None = None, **changes: Any) -> Copy:
    """Change the given fields; the row is re-read under a lock, as in book_update."""
    unknown = set(changes) - COPY_FIELDS
    if unknown:
        raise TypeError(f"copy_update got unknown fields: {sorted(unknown)}")
    if "barcode" in changes:
        changes["barcode"] = clean_barcode(changes["barcode"])
    if "status" in changes:
        changes["status"] = _clean_status(changes["status"])
    for name in ("call_number", "location"):
        if name in changes:
            changes[name] = changes[name].strip()
    copy = Copy.objects.select_for_update().get(pk=copy.pk)
    if book is not None:
        copy.book = book
        changes["book"] = book
    for name, value in changes.items():
        setattr(copy, name, value)
    _save_copy(copy, update_fields=[*changes, "updated_at"])
    return copy


def copy_delete(*, copy: Copy) -> None:
    copy.delete()


# --- Helpers -----------------------------------------------------------------------------------


# --- Cleaning rules, shared with the admin's forms ---------------------------------------------


def clean_name(name: str, *, field: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("A name may not be blank.", field=field)
    return name


def clean_book_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalize book fields; the same rules for API, admin and imports."""
    cleaned = dict(fields)
    if "title" in cleaned:
        cleaned["title"] = " ".join(cleaned["title"].split())
        if not cleaned["title"]:
            raise InvalidInput("A book needs a title.", field="title")
    for name in ("subtitle", "publisher"):
        if name in cleaned:
            cleaned[name] = " ".join((cleaned[name] or "").split())
    if "description" in cleaned:
        cleaned["description"] = (cleaned["description"] or "").strip()
    if "isbn" in cleaned:
        raw = (cleaned["isbn"] or "").strip()
        try:
            cleaned["isbn"] = normalize_isbn(raw) if raw else None
        except IsbnError as error:
            raise InvalidInput(str(error), field="isbn") from None
    if "language" in cleaned:
        language = (cleaned["language"] or "").strip().lower()
        if language and not (language.isascii() and language.isalpha() and 2 <= len(language) <= 3):
            raise InvalidInput(
                f"'{language}' is not an ISO 639 language code (two or three letters, e.g. 'en').",
                field="language",
            )
        cleaned["language"] = language
    return cleaned


def _ensure_isbn_free(isbn: str | None, *, exclude_pk: int | None = None) -> None:
    if not isbn:
        return
    other = Book.objects.filter(isbn=isbn).exclude(pk=exclude_pk).values("pk", "title").first()
    if other:
        raise Conflict(
            f"ISBN {isbn} already belongs to '{other['title']}' (book {other['pk']}).",
            code="duplicate_isbn",
            field="isbn",
        )


def _save_book(book: Book, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            book.save(update_fields=update_fields)
    except IntegrityError:
        # The check above passed, so a concurrent request took the ISBN in between.
        raise Conflict(
            f"ISBN {book.isbn} was just used for another book.", code="duplicate_isbn", field="isbn"
        ) from None


def _resolve_authors(refs: Iterable[Ref]) -> list[Author]:
    return _resolve(
        refs, Author, field="authors", create=lambda name: {"sort_name": sort_name_for(name)}
    )


def _resolve_subjects(refs: Iterable[Ref]) -> list[Subject]:
    return _resolve(refs, Subject, field="subjects", create=lambda name: {})


def _resolve(refs, model, *, field: str, create) -> list:
    """Rows for ids (which must exist) and names (created when missing), in order, once each."""
    refs = list(refs)
    ids = [ref for ref in refs if isinstance(ref, int)]
    by_id = model.objects.in_bulk(ids)
    missing = [ref for ref in ids if ref not in by_id]
    if missing:
        raise InvalidInput(
            f"No {model._meta.verbose_name} with id {', '.join(map(str, missing))}.", field=field
        )
    rows, seen = [], set()
    for ref in refs:
        if isinstance(ref, int):
            row = by_id[ref]
        else:
            name = clean_name(ref, field=field)
            row = _get_or_create_named(model, name, **create(name))
        if row.pk not in seen:
            seen.add(row.pk)
            rows.append(row)
    return rows


def _set_authors(book: Book, authors: list[Author]) -> None:
    BookAuthor.objects.filter(book=book).delete()
    try:
        with transaction.atomic():
            BookAuthor.objects.bulk_create(
                BookAuthor(book=book, author=author, position=position)
                for position, author in enumerate(authors)
            )
    except IntegrityError:  # an author deleted between lookup and insert
        raise Conflict(
            "One of the authors was deleted meanwhile; send the request again.", field="authors"
        ) from None


def _search_text(book: Book, authors: Iterable[Author]) -> str:
    return search_document(
        title=book.title,
        subtitle=book.subtitle,
        isbn=book.isbn,
        author_names=[author.name for author in authors],
    )


def _refresh_search_text(books) -> None:
    changed = []
    for book in books.prefetch_related("book_authors__author"):
        authors = [link.author for link in book.book_authors.all()]
        text = _search_text(book, authors)
        if text != book.search_text:
            book.search_text = text
            changed.append(book)
    Book.objects.bulk_update(changed, ["search_text"], batch_size=500)


def clean_barcode(barcode: str) -> str:
    barcode = barcode.strip()
    if not barcode:
        raise InvalidInput("A copy needs a barcode.", field="barcode")
    if any(ch.isspace() for ch in barcode):
        raise InvalidInput("A barcode may not contain spaces.", field="barcode")
    return barcode


def _clean_status(status: str) -> str:
    if status not in CopyStatus.values:
        raise InvalidInput(
            f"Unknown status '{status}'. Use one of: {', '.join(CopyStatus.values)}.",
            field="status",
        )
    return status


def _save_copy(copy: Copy, update_fields: list[str] | None = None) -> None:
    other = (
        Copy.objects.filter(barcode=copy.barcode).exclude(pk=copy.pk).values("book__title").first()
    )
    if other:
        raise Conflict(
            f"Barcode {copy.barcode} is already on a copy of '{other['book__title']}'.",
            code="duplicate_barcode",
            field="barcode",
        )
    try:
        with transaction.atomic():
            copy.save(update_fields=update_fields)
    except IntegrityError:
        if not Book.objects.filter(pk=copy.book_id).exists():
            raise Conflict(
                "The book was deleted meanwhile.", code="book_deleted", field="book"
            ) from None
        raise Conflict(
            f"Barcode {copy.barcode} was just used for another copy.",
            code="duplicate_barcode",
            field="barcode",
        ) from None
