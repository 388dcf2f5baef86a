"""Helpers the catalog's services share for saving and deleting rows."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError

from shelfmark.errors import Conflict


def delete_or_conflict(row: Model, *, in_use: str) -> None:
    """Delete, turning a reference that appeared meanwhile into a 409, not a 500."""
    try:
        with transaction.atomic():
            row.delete()
    except (IntegrityError, ProtectedError):
        raise Conflict(in_use, code="in_use") from None
