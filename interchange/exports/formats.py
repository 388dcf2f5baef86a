"""The export formats by name, for the command and the API: how to write each, and how to
label it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from interchange.exports.tabular import csv_export, json_export
from interchange.records import ExportBook


def _marcxml_export(books: Iterable[ExportBook]) -> Iterator[str]:
    # Imported by the first MARCXML export: pymarc is ~7 MB a web worker otherwise never needs.
    from interchange.exports.marcxml import marcxml_export

    return marcxml_export(books)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    write: Callable[[Iterable[ExportBook]], Iterator[str]]
    content_type: str
    extension: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", csv_export, "text/csv; charset=utf-8", "csv"),
    "json": ExportFormat("json", json_export, "application/json", "json"),
    "marcxml": ExportFormat("marcxml", _marcxml_export, "application/marcxml+xml", "xml"),
}
