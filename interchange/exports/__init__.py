"""Exporters: the catalog's ``ExportBook`` rows written as files, in streamed chunks."""

from interchange.exports.tabular import csv_export, json_export

__all__ = ["csv_export", "json_export"]
