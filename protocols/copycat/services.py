"""Taking a record found in another catalog into ours: one MARCXML record through the import
path every MARC file takes (``interchange.formats.open_catalog_source`` reads it, and
``interchange.services.imports.import_records`` runs it through the catalog's bulk service), so
it meets the same rules, the same matching (a book we have is matched, never added twice) and
the same bookkeeping: an ``ImportRun`` in the imports list, with its problems.

A barcode given with it becomes a holding of the record (852 $p, as our MARC export writes a
copy), so the copy too goes through the import's rules: a barcode another copy has is refused
there, with the import's message, and a book we have gets the copy added.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from catalog.services.bulk import CleanBook, Outcome, Result
from catalog.services.bulk.matching import catalog_books
from interchange.formats import open_catalog_source
from interchange.models import ImportKind, ImportRun
from interchange.records import SourceError
from interchange.services.imports import CatalogImport, CheckedRecord, import_records
from protocols.copycat.client import HOLDING_TAGS, marcxml_of
from shelfmark.errors import InvalidInput

# The options of a file import from the website's defaults: a book we have is left as it is
# (its copies may still be added), holdings without a barcode make no copy.
RUN_OPTIONS = {"on_duplicate": "skip", "barcodes": "", "dry_run": False, "strict": False}


@dataclass(frozen=True)
class RecordImported:
    run: ImportRun
    result: Result  # created, updated (a copy added to a book we had), skipped, failed
    book_id: int | None  # the book created or matched; None when the record failed
    title: str = ""
    problems: list[str] = field(default_factory=list)  # why it failed, for a person
    warnings: list[str] = field(default_factory=list)  # what was noticed (a possible duplicate)


class _OutcomesKept(CatalogImport):
    """The catalog import, keeping each record's outcome and match key: the run's counts say
    what happened, but not to which book."""

    def __init__(self, run: ImportRun) -> None:
        super().__init__(run)
        self.kept: list[tuple[CheckedRecord, Outcome]] = []

    def write(self, items: list[CheckedRecord], on_duplicate: str) -> list[Outcome]:
        outcomes = super().write(items, on_duplicate)
        self.kept += zip(items, outcomes, strict=True)
        return outcomes


def copycat_record_import(
    *, marcxml: bytes, source_name: str, barcode: str = "", user: Any = None
) -> RecordImported:
    """Import one MARCXML record (from ``protocols.copycat.client``) found at ``source_name``,
    with a copy ``barcode`` when given, as ``user``. InvalidInput when it is not MARCXML."""
    data = _with_holding(marcxml, barcode.strip())
    try:
        source = open_catalog_source(io.BytesIO(data), format="marcxml", size=len(data))
    except SourceError as error:
        raise InvalidInput(str(error)) from None
    run = ImportRun.objects.create(
        kind=ImportKind.CATALOG,
        created_by=user if user is not None and user.is_authenticated else None,
        source_name=source_name[:255],
        options=dict(RUN_OPTIONS),
    )
    importer = _OutcomesKept(run)
    try:
        run = import_records(source, run, importer)
    except SourceError as error:  # the reader refused the record whole: the run says so too
        raise InvalidInput(str(error)) from None
    if not importer.kept:
        return RecordImported(run, Result.FAILED, None, problems=[run.message])
    checked, outcome = importer.kept[0]
    verdict = checked.verdict
    title = verdict.fields["title"] if isinstance(verdict, CleanBook) else ""
    problems = [_worded(problem.field, problem.reason) for problem in outcome.problems]
    warnings = [_worded(problem.field, problem.reason) for problem in outcome.warnings]
    book_id = None
    if outcome.result is not Result.FAILED and outcome.key is not None:
        # The matching that decided the outcome finds the book it created or matched.
        found, _near = catalog_books([outcome.key], [title]).find(outcome.key)
        book_id = found.pk if found is not None else None
    return RecordImported(run, outcome.result, book_id, title, problems, warnings)


def _with_holding(marcxml: bytes, barcode: str) -> bytes:
    """The record without anyone's holdings, and with ours (852 $p) when a barcode is given."""
    try:
        record = ET.fromstring(marcxml)  # noqa: S314 - our own bytes, signed by the page
    except ET.ParseError:
        raise InvalidInput(_("The record could not be read; search again.")) from None
    namespace = record.tag[: record.tag.index("}") + 1] if record.tag.startswith("{") else ""
    for holding in [
        child
        for child in record
        if child.tag == f"{namespace}datafield" and child.get("tag") in HOLDING_TAGS
    ]:
        record.remove(holding)
    if barcode:
        holding = ET.SubElement(
            record, f"{namespace}datafield", {"tag": "852", "ind1": " ", "ind2": " "}
        )
        ET.SubElement(holding, f"{namespace}subfield", {"code": "p"}).text = barcode
    return marcxml_of(record)


def _worded(field_name: str, reason: object) -> str:
    return f"{field_name}: {reason}" if field_name else str(reason)
