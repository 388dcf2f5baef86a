"""Patrons from a file (a school's class list: name, card number, email, phone, category,
expiry), through circulation's own services, with the guarantees of a catalog import: every
bad row reported with all its problems, the good ones in, batch by batch, and a second run over
the same file changing nothing.

A patron already registered is matched by card number (the label on their card): ``skip``
leaves them as they are, ``update`` gives them the file's non-empty values. A class list is a
few hundred rows, so each goes through ``patron_create``/``patron_update`` one by one — the
same rules and messages as the desk and the API, no bulk path of its own.
"""

from __future__ import annotations

import datetime
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _

from catalog.services.bulk import Outcome, Problem, Result
from circulation.models import Patron, PatronCategory
from circulation.rules import PATRON_RULES
from circulation.services import patron_create, patron_update
from interchange.formats import open_patron_source
from interchange.formats.patrons import PatronSource
from interchange.models import ImportRun
from interchange.records import PatronRecord
from interchange.services.imports import ProblemSink, Progress, import_records
from shelfmark.errors import DomainError, RuleError


class PatronImport:
    """Patrons, one by one through circulation's services. ``run.options``: ``on_duplicate``,
    ``dry_run``, ``strict``."""

    def __init__(self, run: ImportRun) -> None:
        self.categories = _Categories()  # looked up once each per run

    @staticmethod
    def open(
        file: BinaryIO, *, format: str, encoding: str | None, size: int | None
    ) -> PatronSource:
        # One layout (a class list's columns), so no format to choose.
        return open_patron_source(file, encoding=encoding, size=size)

    def check(self, records: list[PatronRecord]) -> list[PatronRecord]:
        # Circulation's rules are checked by its services, in ``write``.
        return records

    def write(self, items: list[PatronRecord], on_duplicate: str) -> list[Outcome]:
        return [_import_one(record, on_duplicate, self.categories) for record in items]


def patrons_import(
    source: Any,
    run: ImportRun,
    *,
    progress: Progress | None = None,
    problem_sink: ProblemSink | None = None,
) -> ImportRun:
    """Import ``source``'s patrons (``PatronImport``); see ``import_records``."""
    return import_records(
        source, run, PatronImport(run), progress=progress, problem_sink=problem_sink
    )


class _Categories:
    """Patron categories by name, in any capitals; looked up once each per run."""

    def __init__(self) -> None:
        self.found: dict[str, PatronCategory | None] = {}
        self._known: str | None = None

    def get(self, name: str) -> PatronCategory | None:
        key = name.strip().lower()
        if key not in self.found:
            self.found[key] = PatronCategory.objects.filter(
                Exact(Lower("name"), Lower(Value(name.strip())))
            ).first()
        return self.found[key]

    def known(self) -> str:
        """The categories' names, for a message (asked once per run, not per bad row)."""
        if self._known is None:
            names = PatronCategory.objects.order_by("name").values_list("name", flat=True)
            self._known = ", ".join(names)
        return self._known


def _import_one(record: PatronRecord, on_duplicate: str, categories: _Categories) -> Outcome:
    problems = [Problem(p.field, p.reason, p.value) for p in record.problems]
    fields: dict[str, Any] = {}
    for name in ("card_number", "name", "email", "phone", "language"):
        raw = getattr(record, name)
        try:
            fields[name] = PATRON_RULES[name](raw)
        except RuleError as error:
            problems.append(Problem(name, str(error), raw))
    category = categories.get(record.category) if record.category.strip() else None
    if category is None:
        if record.category.strip():
            reason = _("No patron category named '%(name)s'. Known: %(known)s.") % {
                "name": record.category,
                "known": categories.known(),
            }
        else:
            reason = _("A patron needs a category. Known: %(known)s.") % {
                "known": categories.known()
            }
        problems.append(Problem("category", reason, record.category))
    expires = record.expires_on.strip()
    try:
        fields["expires_on"] = datetime.date.fromisoformat(expires) if expires else None
    except ValueError:
        problems.append(
            Problem(
                "expires_on",
                _("'%(value)s' is not a date; write it as YYYY-MM-DD.") % {"value": expires},
                expires,
            )
        )
    if problems:
        return Outcome(Result.FAILED, problems=problems)
    existing = Patron.objects.filter(card_number=fields["card_number"]).first()
    try:
        with transaction.atomic():
            if existing is None:
                patron_create(category=category, **fields)  # type: ignore[arg-type]
                return Outcome(Result.CREATED)
            changes = _changes(existing, fields, category) if on_duplicate == "update" else {}
            if not changes:
                return Outcome(Result.SKIPPED)
            patron_update(patron=existing, **changes)
            return Outcome(Result.UPDATED)
    except DomainError as error:
        return Outcome(
            Result.FAILED,
            problems=[
                Problem(field, message, str(fields.get(field, "")))
                for field, messages in (error.fields or {"": [error.message]}).items()
                for message in messages
            ],
        )


def _changes(
    patron: Patron, fields: dict[str, Any], category: PatronCategory | None
) -> dict[str, Any]:
    """The file's non-empty values that differ from the patron's."""
    changes = {
        name: value
        for name, value in fields.items()
        if name != "card_number" and value not in ("", None) and getattr(patron, name) != value
    }
    if category is not None and category.pk != patron.category_id:
        changes["category"] = category
    return changes
