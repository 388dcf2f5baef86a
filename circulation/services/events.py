"""The circulation record: one immutable event per state change (who, what, when, from which
state to which), written in the same transaction as the change it records."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from catalog.models import Book, Copy
from circulation.models import CirculationEvent, EventKind, Hold, Loan, Patron
from shelfmark.users import signed_in


def event_record(
    kind: EventKind,
    *,
    actor: Any = None,
    patron: Patron | None = None,
    copy: Copy | None = None,
    book: Book | None = None,
    loan: Loan | None = None,
    hold: Hold | None = None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    at: datetime.datetime | None = None,
) -> CirculationEvent:
    """Record one change. ``actor`` is the user who made it (anonymous or None: the system)."""
    return CirculationEvent.objects.create(
        at=at or timezone.now(),
        kind=kind,
        actor=signed_in(actor),
        patron=patron,
        copy=copy,
        book_id=book.pk if book else (copy.book_id if copy else None),
        loan=loan,
        hold=hold,
        from_state=str(from_state),
        to_state=str(to_state),
        note=note[:255],
    )
