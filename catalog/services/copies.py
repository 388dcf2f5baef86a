"""Copies: the physical items, and who may change their status.

The catalog owns ``Copy.status``, but two of its values describe circulation: ``on_loan`` and
``on_hold_shelf`` are true only while a loan or a waiting hold says so. So the catalog's own
writes (API, admin, imports) neither set a copy to those values nor take it out of them; only
``copy_circulation_move`` does, and circulation's services call it inside their transaction,
next to the loan or hold row they write. That keeps a copy's status in agreement with its loans
and holds whichever door a change comes in by.
"""

from __future__ import annotations

import datetime
from typing import Unpack

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import CIRCULATION_STATUSES, Book, Copy, CopyStatus, copy_status_in_sentence
from catalog.rules import COPY_RULES, CopyFields, clean_fields
from shelfmark.errors import Conflict, InvalidInput
from shelfmark.transactions import delete_or_conflict, lock_row, service_transaction

# The moves circulation makes: lend, return, put on the hold shelf for a patron, and clear the
# shelf when the hold is collected (lent), cancelled or expired; and a lost or missing copy
# scanned at check-in is found.
CIRCULATION_MOVES = frozenset(
    {
        (CopyStatus.LOST, CopyStatus.AVAILABLE),
        (CopyStatus.MISSING, CopyStatus.AVAILABLE),
        (CopyStatus.AVAILABLE, CopyStatus.ON_LOAN),
        (CopyStatus.ON_HOLD_SHELF, CopyStatus.ON_LOAN),
        (CopyStatus.ON_LOAN, CopyStatus.AVAILABLE),
        (CopyStatus.ON_LOAN, CopyStatus.ON_HOLD_SHELF),
        (CopyStatus.AVAILABLE, CopyStatus.ON_HOLD_SHELF),
        (CopyStatus.ON_HOLD_SHELF, CopyStatus.AVAILABLE),
    }
)


@service_transaction
def copy_create(
    *,
    book: Book,
    barcode: str,
    status: str = CopyStatus.AVAILABLE,
    **fields: Unpack[CopyFields],
) -> Copy:
    copy = Copy(book=book, **clean_fields(COPY_RULES, {"barcode": barcode, **fields}))
    copy.status = copy_status_check(status, current=None)
    _save_copy(copy)
    return copy


@service_transaction
def copy_update(
    *,
    copy: Copy,
    book: Book | None = None,
    barcode: str | None = None,
    status: str | None = None,
    **fields: Unpack[CopyFields],
) -> Copy:
    """Change the given fields; the row is re-read under a lock, as in book_update."""
    changes = clean_fields(
        COPY_RULES, {**fields, **({} if barcode is None else {"barcode": barcode})}
    )
    copy = lock_row(Copy, copy.pk, no_key=True)
    if status is not None and status != copy.status:
        changes["status"] = copy_status_check(status, current=copy.status)
    if book is not None and book.pk != copy.book_id:
        if copy.status in CIRCULATION_STATUSES:
            raise _owned_by_circulation(copy.status, action="move")
        changes["book"] = book
    for name, value in changes.items():
        setattr(copy, name, value)
    _save_copy(copy, update_fields=[*changes, "updated_at"])
    return copy


@service_transaction
def copy_delete(*, copy: Copy) -> None:
    copy = lock_row(Copy, copy.pk)
    if copy.status in CIRCULATION_STATUSES:
        raise _owned_by_circulation(copy.status, action="delete")
    # Its loans and holds keep it (PROTECT): a copy with a history is withdrawn, not deleted.
    delete_or_conflict(
        copy,
        in_use=_("Copy %(barcode)s was just lent or held; it is in use.")
        % {"barcode": copy.barcode},
    )


@service_transaction
def copy_circulation_move(*, copy: Copy, status: str) -> Copy:
    """Move a copy into or out of ``on_loan`` / ``on_hold_shelf``: for circulation's services.

    The copy is locked and must be in the state the move starts from; anything else is a
    Conflict that names its status. A service that has locked the copy already moves it with
    ``copy_circulation_move_locked``, which costs no second lock nor a savepoint.
    """
    return copy_circulation_move_locked(copy=lock_row(Copy, copy.pk, no_key=True), status=status)


def copy_circulation_move_locked(*, copy: Copy, status: str) -> Copy:
    """``copy_circulation_move`` for a caller whose transaction holds the copy's row lock and
    read ``copy`` under it (``lock_row`` or ``select_for_update``), so that ``copy.status`` is
    the status the database has: one UPDATE, no lock taken again. Circulation's checkout and
    check-in run it after locking the copy with its book in one statement."""
    if not connection.in_atomic_block:
        # Without the caller's transaction there is no lock to trust: the status read may be
        # stale by now.
        raise RuntimeError("copy_circulation_move_locked needs the caller's transaction and lock")
    if (copy.status, status) not in CIRCULATION_MOVES:
        raise Conflict(
            _("Copy %(barcode)s is %(status)s; it cannot become %(new_status)s.")
            % {
                "barcode": copy.barcode,
                "status": copy_status_in_sentence(copy.status),
                "new_status": copy_status_in_sentence(status),
            },
            code="copy_status_conflict",
        )
    copy.status = status
    copy.save(update_fields=["status", "updated_at"])
    return copy


def copy_status_check(status: str, *, current: str | None) -> str:
    """``status`` if the catalog may set it on a copy now ``current`` (None: a new copy): a known
    status, neither into nor out of circulation. The admin's forms ask too."""
    if status not in CopyStatus.values:
        raise InvalidInput(
            _("Unknown status '%(given)s'. Use one of: %(known)s.")
            % {"given": status, "known": ", ".join(CopyStatus.values)},
            field="status",
        )
    if status in CIRCULATION_STATUSES:
        raise _owned_by_circulation(status, action="give")
    if current in CIRCULATION_STATUSES:
        raise _owned_by_circulation(current, action="change")
    return status


def _owned_by_circulation(status: str, *, action: str) -> Conflict:
    """Two sentences: whose the status is, and what the catalog may not do to the copy."""
    owner = {
        CopyStatus.ON_LOAN: _(
            "'%(status)s' belongs to circulation: it is entered by checking it out, and left by "
            "checking it in."
        ),
        CopyStatus.ON_HOLD_SHELF: _(
            "'%(status)s' belongs to circulation: it is entered by checking it in for a waiting "
            "hold, and left when the hold is collected, cancelled or expires."
        ),
    }[CopyStatus(status)] % {"status": copy_status_in_sentence(status)}
    refused = {
        "move": _("A copy in or into that status cannot be moved to another book."),
        "delete": _("A copy in or into that status cannot be deleted."),
        "give": _("A copy in or into that status cannot be given this status here."),
        "change": _("A copy in or into that status cannot be changed here."),
    }[action]
    return Conflict(
        f"{owner} {refused}",
        code="status_owned_by_circulation",
        field="status",
    )


def _save_copy(copy: Copy, update_fields: list[str] | None = None) -> None:
    other = (
        Copy.objects.filter(barcode=copy.barcode).exclude(pk=copy.pk).values("book__title").first()
    )
    if other:
        raise Conflict(
            _("Barcode %(barcode)s is already on a copy of '%(title)s'.")
            % {"barcode": copy.barcode, "title": other["book__title"]},
            code="duplicate_barcode",
            field="barcode",
        )
    try:
        with transaction.atomic():
            copy.save(update_fields=update_fields)
    except IntegrityError:
        if not Book.objects.filter(pk=copy.book_id).exists():
            raise Conflict(
                _("The book was deleted meanwhile."), code="book_deleted", field="book"
            ) from None
        raise Conflict(
            _("Barcode %(barcode)s was just used for another copy.") % {"barcode": copy.barcode},
            code="duplicate_barcode",
            field="barcode",
        ) from None


# --- Stocktakes ------------------------------------------------------------------------------
# A stocktake (the stocktake app) sees copies on the shelves and, at its end, marks the ones it
# did not see as missing. Both are one UPDATE, with no lock: neither reads what it writes, and
# the missing mark only takes copies still on the shelf (a copy lent meanwhile is not missing).


def copy_mark_seen(*, copy_id: int, day: datetime.date) -> None:
    """Record that the copy was on the shelf on ``day`` (its ``last_seen``)."""
    Copy.objects.filter(pk=copy_id).exclude(last_seen__gte=day).update(last_seen=day)


@service_transaction
def copies_mark_missing(*, copies: QuerySet[Copy]) -> int:
    """Mark these copies missing, those still on the shelf ("available"); how many were."""
    return copies.filter(status=CopyStatus.AVAILABLE).update(
        status=CopyStatus.MISSING, updated_at=timezone.now()
    )
