"""Authors and subjects: rows identified by their name, compared the way the database's unique
constraints compare them (LOWER() of the name)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Author, Book, Subject
from catalog.rules import (
    AUTHOR_RULES,
    SUBJECT_RULES,
    clean_fields,
    clean_name,
    sort_name_for,
)
from catalog.services.search_text import refresh_search_text
from shelfmark.errors import Conflict, InvalidInput, RuleError
from shelfmark.transactions import delete_or_conflict, lock_row, service_transaction

Named = TypeVar("Named", Author, Subject)
# An author or subject in a write: an existing row's id, or a name (created when missing).
Ref = int | str


@service_transaction
def author_create(*, name: str, sort_name: str = "") -> Author:
    fields = clean_fields(AUTHOR_RULES, {"name": name, "sort_name": sort_name})
    author = Author(
        name=fields["name"], sort_name=fields["sort_name"] or sort_name_for(fields["name"])
    )
    _save_named(author)
    return author


@service_transaction
def author_update(
    *, author: Author, name: str | None = None, sort_name: str | None = None
) -> Author:
    given = {"name": name, "sort_name": sort_name}
    changes = {key: value for key, value in given.items() if value is not None}
    fields = clean_fields(AUTHOR_RULES, changes)
    author = lock_row(Author, author.pk)  # no lost concurrent edit
    renamed = "name" in fields and fields["name"] != author.name
    author.name = fields.get("name", author.name)
    if "sort_name" in fields:
        author.sort_name = fields["sort_name"] or sort_name_for(author.name)
    _save_named(author)
    if renamed:
        refresh_search_text(Book.objects.filter(book_authors__author=author))
    return author


@service_transaction
def author_delete(*, author: Author) -> None:
    author = lock_row(Author, author.pk)
    count = author.book_authors.count()
    if count:
        raise Conflict(
            ngettext(
                "'%(name)s' is an author of %(count)d book; remove them from it first.",
                "'%(name)s' is an author of %(count)d books; remove them from those books first.",
                count,
            )
            % {"name": author.name, "count": count},
            code="in_use",
        )
    delete_or_conflict(
        author,
        in_use=_("'%(name)s' was just added to a book; it is in use.") % {"name": author.name},
    )


@service_transaction
def subject_create(*, name: str) -> Subject:
    subject = Subject(**clean_fields(SUBJECT_RULES, {"name": name}))
    _save_named(subject)
    return subject


@service_transaction
def subject_update(*, subject: Subject, name: str | None = None) -> Subject:
    if name is None:
        return subject
    fields = clean_fields(SUBJECT_RULES, {"name": name})
    subject = lock_row(Subject, subject.pk, no_key=True)
    renamed = subject.name != fields["name"]
    subject.name = fields["name"]
    _save_named(subject)
    if renamed:  # its books are found by their subjects' names
        refresh_search_text(Book.objects.filter(subjects=subject))
    return subject


@service_transaction
def subject_delete(*, subject: Subject) -> None:
    # Locked first, so a book taking the subject at this moment either commits before (and
    # its link is deleted here) or waits and then finds the subject gone.
    subject = lock_row(Subject, subject.pk)
    book_ids = list(subject.books.values_list("pk", flat=True))
    subject.delete()  # books simply lose the subject, and are no longer found by it
    refresh_search_text(Book.objects.filter(pk__in=book_ids))


def resolve_authors(refs: Iterable[Ref]) -> list[Author]:
    return _resolve(refs, Author, field="authors")


def resolve_subjects(refs: Iterable[Ref]) -> list[Subject]:
    return _resolve(refs, Subject, field="subjects")


def _named(model: type[Named], name: str) -> QuerySet[Named]:
    """Rows whose name equals ``name`` ignoring case, the way the unique constraint compares:
    LOWER() in the database (not Python's lower(), nor iexact's UPPER()), so lookups and the
    constraint agree on every name and the constraint's index serves the lookup."""
    return model.objects.filter(Exact(Lower("name"), Lower(Value(name))))


def _save_named(row: Named) -> None:
    message = (
        _("An author named '%(name)s' already exists.")
        if isinstance(row, Author)
        else _("A subject named '%(name)s' already exists.")
    )
    duplicate = Conflict(
        message % {"name": row.name},
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


def _defaults_for(model: type[Named], name: str) -> dict[str, Any]:
    return {"sort_name": sort_name_for(name)} if model is Author else {}


def get_or_create_named(model: type[Named], name: str) -> Named:
    row = _named(model, name).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return model.objects.create(name=name, **_defaults_for(model, name))
    except IntegrityError:  # created meanwhile by a concurrent request: use that one
        row = _named(model, name).first()
        if row is None:
            raise
        return row


def _resolve(refs: Iterable[Ref], model: type[Named], *, field: str) -> list[Named]:
    """Rows for ids (which must exist) and names (created when missing), in order, once each.

    Missing names are created in one canonical order (by their lower-case form, as the unique
    index compares them), whatever order the request lists them in: two requests introducing
    the same new names in opposite orders would otherwise each hold one index entry and wait
    for the other's - a deadlock.
    """
    refs = list(refs)
    ids = [ref for ref in refs if isinstance(ref, int)]
    by_id = model.objects.in_bulk(ids)
    missing = [ref for ref in ids if ref not in by_id]
    if missing:
        raise InvalidInput(
            (
                _("No author with id %(ids)s.")
                if model is Author
                else _("No subject with id %(ids)s.")
            )
            % {"ids": ", ".join(map(str, missing))},
            field=field,
        )
    try:
        names = [clean_name(ref) for ref in refs if isinstance(ref, str)]
    except RuleError as error:
        raise InvalidInput(str(error), field=field) from None
    by_name = {
        name: get_or_create_named(model, name)
        for name in sorted(set(names), key=lambda name: (name.lower(), name))
    }
    named = iter(names)
    rows: list[Named] = []
    seen: set[int] = set()
    for ref in refs:
        row = by_id[ref] if isinstance(ref, int) else by_name[next(named)]
        if row.pk not in seen:
            seen.add(row.pk)
            rows.append(row)
    return rows
