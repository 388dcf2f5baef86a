"""catalog.services.copies: copies, and the statuses circulation owns."""

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from shelfmark.errors import Conflict, InvalidInput
from shelfmark.transactions import lock_row

pytestmark = pytest.mark.django_db


def test_copy_barcodes_are_unique_and_trimmed():
    book = BookFactory()
    copy = services.copy_create(book=book, barcode="  A-001 ")
    assert copy.barcode == "A-001"
    assert copy.status == CopyStatus.AVAILABLE
    with pytest.raises(Conflict) as error:
        services.copy_create(book=book, barcode="A-001")
    assert error.value.code == "duplicate_barcode"
    with pytest.raises(InvalidInput):
        services.copy_create(book=book, barcode="A 002")
    with pytest.raises(InvalidInput):
        services.copy_create(book=book, barcode="   ")
    assert Copy.objects.count() == 1


def test_copy_update_validates_status():
    copy = CopyFactory()
    services.copy_update(copy=copy, status=CopyStatus.IN_REPAIR, location="Back room")
    copy.refresh_from_db()
    assert (copy.status, copy.location) == ("in_repair", "Back room")
    with pytest.raises(InvalidInput, match="Unknown status"):
        services.copy_update(copy=copy, status="eaten")


# --- Statuses that belong to circulation ---------------------------------------------------------


@pytest.mark.parametrize("status", [CopyStatus.ON_LOAN, CopyStatus.ON_HOLD_SHELF])
def test_the_catalog_cannot_put_a_copy_into_a_circulation_status(status):
    copy = CopyFactory()
    with pytest.raises(Conflict) as error:
        services.copy_update(copy=copy, status=status)
    assert (error.value.code, error.value.field) == ("status_owned_by_circulation", "status")
    assert "circulation" in error.value.message
    with pytest.raises(Conflict):
        services.copy_create(book=copy.book, barcode="NEW-1", status=status)
    copy.refresh_from_db()
    assert copy.status == CopyStatus.AVAILABLE
    assert not Copy.objects.filter(barcode="NEW-1").exists()


@pytest.mark.parametrize("status", [CopyStatus.ON_LOAN, CopyStatus.ON_HOLD_SHELF])
def test_the_catalog_cannot_take_a_copy_out_of_a_circulation_status(status):
    copy = CopyFactory(status=status)
    other_book = BookFactory()
    changes: list[dict[str, Any]] = [{"status": CopyStatus.AVAILABLE}, {"status": CopyStatus.LOST}]
    for change in changes:
        with pytest.raises(Conflict, match="circulation"):
            services.copy_update(copy=copy, **change)
    with pytest.raises(Conflict, match="moved to another book"):
        services.copy_update(copy=copy, book=other_book)
    with pytest.raises(Conflict, match="deleted"):
        services.copy_delete(copy=copy)
    copy.refresh_from_db()
    assert (copy.status, copy.book_id) == (status, copy.book_id)


def test_other_fields_of_a_copy_on_loan_may_change():
    copy = CopyFactory(status=CopyStatus.ON_LOAN)
    services.copy_update(copy=copy, location="Front desk", status=CopyStatus.ON_LOAN)
    copy.refresh_from_db()
    assert (copy.location, copy.status) == ("Front desk", CopyStatus.ON_LOAN)


def test_circulation_moves_copies_into_and_out_of_its_statuses():
    # Lent, returned while a hold waits, collected, returned, trapped again, hold expired.
    copy = CopyFactory()
    for status in (
        "on_loan",
        "on_hold_shelf",
        "on_loan",
        "available",
        "on_hold_shelf",
        "available",
    ):
        moved = services.copy_circulation_move(copy=copy, status=status)
        copy.refresh_from_db()
        assert moved.status == copy.status == status


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (CopyStatus.LOST, CopyStatus.ON_LOAN),
        (CopyStatus.WITHDRAWN, CopyStatus.ON_HOLD_SHELF),
        (CopyStatus.ON_LOAN, CopyStatus.ON_LOAN),
        (CopyStatus.AVAILABLE, CopyStatus.DAMAGED),
    ],
)
def test_circulation_moves_only_from_the_state_they_start_from(start, end):
    copy = CopyFactory(status=start, barcode="X-9")
    with pytest.raises(Conflict) as error:
        services.copy_circulation_move(copy=copy, status=end)
    assert error.value.code == "copy_status_conflict"
    assert "X-9" in error.value.message
    copy.refresh_from_db()
    assert copy.status == start


def test_the_locked_move_trusts_the_callers_lock_and_sends_one_update():
    copy = CopyFactory(barcode="X-8")
    with transaction.atomic():
        locked = lock_row(Copy, copy.pk, no_key=True)
        with CaptureQueriesContext(connection) as captured:
            services.copy_circulation_move_locked(copy=locked, status=CopyStatus.ON_LOAN)
    sqls = [query["sql"] for query in captured.captured_queries]
    assert len(sqls) == 1, sqls
    assert sqls[0].startswith('UPDATE "catalog_copy"')
    copy.refresh_from_db()
    assert copy.status == CopyStatus.ON_LOAN
    with transaction.atomic(), pytest.raises(Conflict) as error:  # the same rules
        services.copy_circulation_move_locked(copy=copy, status=CopyStatus.DAMAGED)
    assert error.value.code == "copy_status_conflict"


@pytest.mark.django_db(transaction=True)
def test_the_locked_move_refuses_to_run_without_the_callers_transaction():
    copy = CopyFactory()
    with pytest.raises(RuntimeError, match="transaction"):
        services.copy_circulation_move_locked(copy=copy, status=CopyStatus.ON_LOAN)
    copy.refresh_from_db()
    assert copy.status == CopyStatus.AVAILABLE
