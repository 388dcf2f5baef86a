"""The interchange app's tables: one module per concept (imports; ISBN lookups)."""

from interchange.models.imports import ImportKind, ImportProblem, ImportRun, ImportStatus, Severity
from interchange.models.lookups import IsbnLookup, LookupStatus, RequestSlot

__all__ = [
    "ImportKind",
    "ImportProblem",
    "ImportRun",
    "ImportStatus",
    "IsbnLookup",
    "LookupStatus",
    "RequestSlot",
    "Severity",
]
