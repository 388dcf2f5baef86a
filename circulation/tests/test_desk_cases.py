"""The circulation cases a busy desk meets, as Koha's own circulation tests have them: a
checkout fills the borrower's own hold, a lost or missing copy scanned at check-in is found,
lending a shelf copy others wait for asks for confirmation, librarians with the permission may
lend past some refusals (recorded with who and why), holds can be suspended, cards renewed, and
every reason a patron cannot borrow comes at once."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus, Loan
from circulation.refusals import Refused
from circulation.services.patrons import add_months
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.errors import Conflict, InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def librarian(username="desk", *, may_override=False):
    user = get_user_model().objects.create_user(username, password="x-long-password")
    codenames = ["add_loan", "change_loan", "view_loan"]
    if may_override:
        codenames.append("override_refusals")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="circulation", codename__in=codenames)
    )
    return get_user_model().objects.get(pk=user.pk)  # a fresh permission cache


def lend(patron, copy, **kwargs):
    return services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode, **kwargs)


def hold_for(patron, book):
    return services.hold_place(patron=patron, book=book)


def ready_hold_for(patron, copy):
    """``patron``'s hold on ``copy``'s book, ready with ``copy`` on the hold shelf."""
    borrower = PatronFactory()
    lend(borrower, copy)
    hold = hold_for(patron, copy.book)
    services.loan_checkin(barcode=copy.barcode)
    hold.refresh_from_db()
    assert (hold.status, hold.copy) == (HoldStatus.READY, copy)
    return hold


@pytest.fixture
def book():
    return BookFactory(title="Middlemarch")


@pytest.fixture
def ada():
    return PatronFactory(card_number="ADA", name="Ada Reader")


@pytest.fixture
def bea():
    return PatronFactory(card_number="BEA", name="Bea Waiting")


# --- A checkout fills the borrower's own hold ------------------------------------------------


def test_borrowing_another_copy_fills_the_borrowers_waiting_hold(book, ada, bea):
    out, on_shelf = CopyFactory(book=book, barcode="M-1"), CopyFactory(book=book, barcode="M-2")
    lend(PatronFactory(), out)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        own = hold_for(ada, book)
    # Ada is first in the queue, so lending her the shelf copy asks nobody to confirm.
    lend(ada, on_shelf)

    own.refresh_from_db()
    assert own.status == HoldStatus.COLLECTED
    event = CirculationEvent.objects.get(kind=EventKind.HOLD_COLLECTED, hold=own)
    assert (event.from_state, event.note) == (HoldStatus.WAITING, "filled by copy M-2")
    # The copy coming back next is not put aside for her: she has the book.
    hold_for(bea, book)
    result = services.loan_checkin(barcode=out.barcode)
    assert result.hold.patron == bea


def test_borrowing_another_copy_fills_a_ready_hold_and_its_copy_goes_back(book, ada):
    set_aside = CopyFactory(book=book, barcode="M-1")
    other = CopyFactory(book=book, barcode="M-2")
    lend(PatronFactory(), other)
    ready = ready_hold_for(ada, set_aside)
    services.loan_checkin(barcode=other.barcode)  # back on the open shelf: nobody waits

    lend(ada, other)  # Ada takes M-2 from the shelf instead of her copy M-1

    ready.refresh_from_db()
    set_aside.refresh_from_db()
    assert ready.status == HoldStatus.COLLECTED
    assert set_aside.status == CopyStatus.AVAILABLE  # nobody else waits: back to the shelf
    event = CirculationEvent.objects.get(kind=EventKind.HOLD_COLLECTED, hold=ready)
    assert (event.from_state, event.note) == (HoldStatus.READY, "filled by copy M-2")


def test_a_copy_set_aside_for_the_borrower_goes_to_the_next_patron_waiting(book, ada):
    set_aside = CopyFactory(book=book, barcode="M-1")
    on_shelf = CopyFactory(book=book, barcode="M-2")
    lend(PatronFactory(), set_aside)
    carl = PatronFactory(name="Carl Next")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        ready = hold_for(ada, book)
        carl_hold = hold_for(carl, book)
    services.loan_checkin(barcode="M-1")  # M-1 on the hold shelf for Ada, first in the queue

    # Ada takes M-2 from the open shelf instead: no confirmation (she was served first).
    lend(ada, on_shelf)

    ready.refresh_from_db()
    carl_hold.refresh_from_db()
    set_aside.refresh_from_db()
    assert ready.status == HoldStatus.COLLECTED
    assert (carl_hold.status, carl_hold.copy) == (HoldStatus.READY, set_aside)
    assert set_aside.status == CopyStatus.ON_HOLD_SHELF


def test_a_ready_copy_meant_for_someone_else_stays_refused(book, ada, bea):
    copy = CopyFactory(book=book, barcode="M-1")
    ready_hold_for(bea, copy)

    with pytest.raises(Refused) as refused:
        lend(ada, copy)

    assert refused.value.code == "copy_on_hold_shelf"
    assert "Bea Waiting" in refused.value.message
    assert refused.value.extra["reasons"] == [
        {
            "code": "copy_on_hold_shelf",
            "message": refused.value.message,
            "override": "permission",
            "overridable": True,  # no actor: the system may (staff are checked below)
        }
    ]


# --- Lost and missing copies are found at check-in -------------------------------------------


@pytest.mark.parametrize("status", [CopyStatus.LOST, CopyStatus.MISSING])
def test_a_lost_or_missing_copy_checked_in_is_found_and_serves_the_queue(book, bea, status):
    copy = CopyFactory(book=book, barcode="M-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        hold = hold_for(bea, book)
    Copy.objects.filter(pk=copy.pk).update(status=status)
    desk = librarian()

    result = services.loan_checkin(barcode="M-1", actor=desk)

    copy.refresh_from_db()
    hold.refresh_from_db()
    assert result.found is True
    assert (result.hold, hold.status, hold.copy) == (hold, HoldStatus.READY, copy)
    assert copy.status == CopyStatus.ON_HOLD_SHELF
    assert f"was marked {status}; it is marked found now" in result.message
    assert "Bea Waiting" in result.message
    found = CirculationEvent.objects.get(kind=EventKind.COPY_FOUND)
    assert (found.copy, found.actor, found.from_state, found.to_state) == (
        copy,
        desk,
        status,
        CopyStatus.AVAILABLE,
    )


def test_a_found_copy_nobody_waits_for_goes_back_to_the_shelf(book):
    copy = CopyFactory(book=book, barcode="M-1", status=CopyStatus.LOST)

    result = services.loan_checkin(barcode="M-1")

    copy.refresh_from_db()
    assert (copy.status, result.hold, result.found) == (CopyStatus.AVAILABLE, None, True)
    assert result.message.endswith("Back to the shelf.")


def test_lending_a_lost_copy_says_to_check_it_in_first(book, ada):
    CopyFactory(book=book, barcode="M-1", status=CopyStatus.MISSING)

    with pytest.raises(Refused) as refused:
        lend(ada, Copy.objects.get(barcode="M-1"))

    assert refused.value.code == "copy_unavailable"
    assert "Check it in first, which marks it found." in refused.value.message


# --- Others waiting: confirm -----------------------------------------------------------------


def test_lending_a_shelf_copy_others_wait_for_asks_to_confirm(book, ada, bea):
    copy = CopyFactory(book=book, barcode="M-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        bea_hold = hold_for(bea, book)
    desk = librarian()  # no override permission: confirming needs none

    with pytest.raises(Refused) as refused:
        lend(ada, copy, actor=desk)
    assert refused.value.code == "book_held"
    assert refused.value.message == "1 other patron is waiting for this book."
    assert refused.value.extra["reasons"][0]["override"] == "confirm"
    assert refused.value.extra["reasons"][0]["overridable"] is True
    assert not Loan.objects.exists()

    loan = lend(ada, copy, actor=desk, override=["book_held"], override_reason="Bea phoned")

    assert loan.patron == ada
    bea_hold.refresh_from_db()
    assert bea_hold.status == HoldStatus.WAITING  # still waiting, at her place
    override = CirculationEvent.objects.get(kind=EventKind.OVERRIDE)
    assert (override.loan, override.actor, override.from_state) == (loan, desk, "book_held")
    assert override.note == "1 other patron is waiting for this book. Why: Bea phoned"


def test_the_borrowers_own_place_ahead_of_the_others_needs_no_confirmation(book, ada, bea):
    copy = CopyFactory(book=book, barcode="M-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        hold_for(ada, book)
        hold_for(bea, book)

    lend(ada, copy)

    assert not CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).exists()


def test_a_suspended_hold_does_not_hold_a_shelf_copy_back(book, ada, bea):
    copy = CopyFactory(book=book, barcode="M-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        hold = hold_for(bea, book)
    services.hold_suspend(hold=hold, until=TODAY() + days(10))

    assert lend(ada, copy).patron == ada


# --- Overrides -------------------------------------------------------------------------------


def expired(patron):
    patron.expires_on = TODAY() - days(1)
    patron.save()
    return patron


def test_every_reason_comes_at_once(book, ada):
    ada.category.max_loans = 1
    ada.category.save()
    lend(ada, CopyFactory(book=BookFactory()))
    Loan.objects.filter(patron=ada).update(due_on=TODAY() - days(3))
    expired(ada)
    copy = CopyFactory(book=book, barcode="M-1")

    with pytest.raises(Refused) as refused:
        lend(ada, copy)

    codes = [reason["code"] for reason in refused.value.extra["reasons"]]
    assert codes == ["card_expired", "has_overdue_loans", "max_loans"]
    assert refused.value.code == "card_expired"  # none final: the first
    for reason in refused.value.extra["reasons"]:
        assert reason["message"] in refused.value.message
        assert reason["override"] == "permission"


def test_a_final_reason_cannot_be_overridden_whatever_else(book, ada):
    expired(ada)
    ada.blocked, ada.block_reason = True, "Lost library property"
    ada.save()
    copy = CopyFactory(book=book, barcode="M-1")

    with pytest.raises(Refused) as refused:
        lend(ada, copy, override=["card_expired"])

    assert refused.value.code == "patron_blocked"  # the final one names the refusal
    assert [r["code"] for r in refused.value.extra["reasons"]] == [
        "patron_blocked",
        "card_expired",
    ]
    assert [r["overridable"] for r in refused.value.extra["reasons"]] == [False, True]


def test_overriding_needs_the_permission(book, ada):
    expired(ada)
    copy = CopyFactory(book=book, barcode="M-1")

    with pytest.raises(NotAllowed) as not_allowed:
        lend(ada, copy, actor=librarian(), override=["card_expired"])

    assert not_allowed.value.code == "override_not_allowed"
    assert not_allowed.value.extra["reasons"][0]["overridable"] is False
    assert not Loan.objects.exists()


def test_an_override_not_asked_for_stays_refused(book, ada):
    expired(ada)
    ada.category.max_loans = 0
    ada.category.save()
    copy = CopyFactory(book=book, barcode="M-1")

    with pytest.raises(Refused) as refused:
        lend(ada, copy, actor=librarian("senior", may_override=True), override=["card_expired"])

    assert [r["code"] for r in refused.value.extra["reasons"]] == ["card_expired", "max_loans"]
    assert not Loan.objects.exists()


def test_staff_with_the_permission_lend_anyway_and_it_is_recorded(book, ada):
    expired(ada)
    ada.category.max_loans = 0
    ada.category.save()
    copy = CopyFactory(book=book, barcode="M-1")
    senior = librarian("senior", may_override=True)

    loan = lend(
        ada,
        copy,
        actor=senior,
        override=["max_loans", "card_expired"],
        override_reason="Card renewal paid, system late",
    )

    overrides = CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).order_by("id")
    assert [(e.from_state, e.actor, e.loan, e.patron) for e in overrides] == [
        ("card_expired", senior, loan, ada),
        ("max_loans", senior, loan, ada),
    ]
    assert all(e.note.endswith("Why: Card renewal paid, system late") for e in overrides)
    assert "card expired on" in overrides[0].note


def test_overriding_a_copy_on_the_hold_shelf_sends_that_hold_back_to_the_queue(book, ada, bea):
    copy = CopyFactory(book=book, barcode="M-1")
    bea_hold = ready_hold_for(bea, copy)
    carl = PatronFactory(name="Carl Later")
    carl_hold = hold_for(carl, book)
    senior = librarian("senior", may_override=True)

    loan = lend(ada, copy, actor=senior, override=["copy_on_hold_shelf"])

    bea_hold.refresh_from_db()
    assert (bea_hold.status, bea_hold.copy, bea_hold.pickup_by) == (HoldStatus.WAITING, None, None)
    assert CirculationEvent.objects.filter(kind=EventKind.HOLD_REQUEUED, hold=bea_hold).exists()
    # Bea is first again: the copy's return puts it aside for her, not for Carl.
    services.loan_checkin(barcode=loan.copy.barcode)
    bea_hold.refresh_from_db()
    carl_hold.refresh_from_db()
    assert (bea_hold.status, carl_hold.status) == (HoldStatus.READY, HoldStatus.WAITING)


def test_an_override_for_a_refusal_that_does_not_apply_changes_nothing(book, ada):
    copy = CopyFactory(book=book, barcode="M-1")

    lend(ada, copy, actor=librarian(), override=["max_loans"])

    assert not CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).exists()


# --- Suspended holds -------------------------------------------------------------------------


@pytest.fixture
def queue(book):
    """A copy on loan and two patrons waiting for it: Ada first, then Bea."""
    copy = CopyFactory(book=book, barcode="M-1")
    lend(PatronFactory(), copy)
    ada = hold_for(PatronFactory(name="Ada Reader"), book)
    bea = hold_for(PatronFactory(name="Bea Waiting"), book)
    return copy, ada, bea


def test_a_suspended_hold_keeps_its_place_but_is_passed_over(queue):
    copy, ada, bea = queue
    services.hold_suspend(hold=ada, until=TODAY() + days(14))

    result = services.loan_checkin(barcode=copy.barcode)

    ada.refresh_from_db()
    assert result.hold == bea
    assert (ada.status, ada.suspended_until) == (HoldStatus.WAITING, TODAY() + days(14))
    event = CirculationEvent.objects.get(kind=EventKind.HOLD_SUSPENDED)
    assert event.note == f"until {TODAY() + days(14):%Y-%m-%d}"


def test_a_suspended_hold_resumes_by_itself_on_its_day(queue, time_machine):
    copy, ada, _bea = queue
    services.hold_suspend(hold=ada, until=TODAY() + days(3))
    time_machine.move_to(timezone.now() + days(3))

    result = services.loan_checkin(barcode=copy.barcode)

    assert result.hold == ada  # still first in the queue


def test_resuming_a_hold_now(queue):
    copy, ada, _bea = queue
    services.hold_suspend(hold=ada, until=TODAY() + days(30))
    services.hold_suspend(hold=ada, until=None)

    assert services.loan_checkin(barcode=copy.barcode).hold == ada
    assert CirculationEvent.objects.filter(kind=EventKind.HOLD_RESUMED).count() == 1


def test_a_suspended_hold_does_not_stop_a_renewal(queue):
    copy, ada, bea = queue
    services.hold_suspend(hold=ada, until=TODAY() + days(30))
    services.hold_suspend(hold=bea, until=TODAY() + days(30))

    loan = services.loan_renew(loan=Loan.objects.get(copy=copy))

    assert loan.renewals == 1


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (0, "must be after today"),
        (-3, "must be after today"),
        (366, "for a year at most"),
    ],
)
def test_a_suspension_date_must_be_ahead_and_within_a_year(queue, until, message):
    _copy, ada, _bea = queue

    with pytest.raises(InvalidInput, match=message) as error:
        services.hold_suspend(hold=ada, until=TODAY() + days(until))

    assert error.value.field == "suspended_until"


def test_a_ready_hold_cannot_be_suspended(book, bea):
    hold = ready_hold_for(bea, CopyFactory(book=book, barcode="M-1"))

    with pytest.raises(Conflict) as error:
        services.hold_suspend(hold=hold, until=TODAY() + days(5))

    assert error.value.code == "hold_ready"


def test_a_filled_hold_forgets_its_suspension(queue):
    copy, ada, _bea = queue
    services.hold_suspend(hold=ada, until=TODAY() + days(30))
    shelf_copy = CopyFactory(book=copy.book, barcode="M-2")

    lend(ada.patron, shelf_copy, override=["book_held"])

    ada.refresh_from_db()
    assert (ada.status, ada.suspended_until) == (HoldStatus.COLLECTED, None)


# --- Cards -----------------------------------------------------------------------------------


def test_renewing_an_expired_card_counts_from_today(ada):
    ada.category.card_valid_months = 12
    ada.category.save()
    expired(ada)

    services.patron_card_renew(patron=ada, actor=librarian())

    ada.refresh_from_db()
    assert ada.expires_on == add_months(TODAY(), 12)
    event = CirculationEvent.objects.get(kind=EventKind.CARD_RENEWED)
    assert event.from_state == f"expires {TODAY() - days(1):%Y-%m-%d}"
    assert event.to_state == f"expires {ada.expires_on:%Y-%m-%d}"


def test_renewing_a_card_early_loses_no_days(ada):
    ada.expires_on = TODAY() + days(10)
    ada.save()
    ada.category.card_valid_months = 6
    ada.category.save()

    services.patron_card_renew(patron=ada)

    ada.refresh_from_db()
    assert ada.expires_on == add_months(TODAY() + days(10), 6)


def test_a_card_that_never_expires_has_nothing_to_renew(ada):
    with pytest.raises(Conflict) as error:
        services.patron_card_renew(patron=ada)
    assert error.value.code == "card_never_expires"


def test_a_renewed_card_lends_again(book, ada):
    expired(ada)
    copy = CopyFactory(book=book, barcode="M-1")
    with pytest.raises(Refused):
        lend(ada, copy)

    services.patron_card_renew(patron=ada)

    assert lend(ada, copy).patron == ada


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 12, 6), 12, datetime.date(2027, 12, 6)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 3, 15), 120, datetime.date(2036, 3, 15)),
    ],
)
def test_months_are_added_as_people_count_them(day, months, expected):
    assert add_months(day, months) == expected


def test_changing_the_expiry_date_is_recorded(ada):
    services.patron_update(patron=ada, expires_on=datetime.date(2030, 6, 30), actor=librarian())

    event = CirculationEvent.objects.get(kind=EventKind.CARD_EXPIRY_CHANGED)
    assert (event.from_state, event.to_state) == ("never expires", "expires 2030-06-30")


# --- Renew all -------------------------------------------------------------------------------


def test_renew_all_renews_what_it_can_and_says_why_not_for_the_rest(ada, bea):
    free = lend(ada, CopyFactory(book=BookFactory(title="Free"), barcode="F-1"))
    held_copy = CopyFactory(book=BookFactory(title="Wanted"), barcode="W-1")
    held = lend(ada, held_copy)
    hold_for(bea, held_copy.book)

    outcomes = services.loans_renew_all(patron=ada, actor=librarian())

    by_loan = {outcome.loan.pk: outcome for outcome in outcomes}
    assert by_loan[free.pk].renewed is True
    assert by_loan[free.pk].message.startswith("Renewed: now due ")
    assert by_loan[held.pk].renewed is False
    assert "Another patron is waiting" in by_loan[held.pk].message
    assert Loan.objects.get(pk=free.pk).renewals == 1
    assert Loan.objects.get(pk=held.pk).renewals == 0


def test_the_category_sets_how_long_a_renewed_card_lasts():
    category = PatronCategoryFactory(name="Child", card_valid_months=24)
    child = PatronFactory(category=category, expires_on=TODAY())

    services.patron_card_renew(patron=child)

    child.refresh_from_db()
    assert child.expires_on == add_months(TODAY(), 24)
    assert Hold.objects.count() == 0


def test_the_hold_shelf_passes_suspended_holds_over_when_saying_what_to_pull(book, settings):
    from circulation.selectors.desk import hold_shelf

    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    CopyFactory(book=book, barcode="M-1")
    first = hold_for(PatronFactory(name="Away Now"), book)
    hold_for(PatronFactory(name="Here Now"), book)
    services.hold_suspend(hold=first, until=TODAY() + days(7))

    to_pull = hold_shelf(TODAY())["to_pull"]

    assert [hold["patron__name"] for hold in to_pull] == ["Here Now"]


def test_a_hold_sent_back_to_the_queue_is_announced_again_when_ready_again(
    book, ada, bea, time_machine, mailoutbox
):
    copy = CopyFactory(book=book, barcode="M-1")
    bea_hold = ready_hold_for(bea, copy)
    assert len(services.notices_send().sent) == 1
    lend(ada, copy, override=["copy_on_hold_shelf"])  # Bea waits again, first in the queue
    time_machine.move_to(timezone.now() + days(2))

    services.loan_checkin(barcode="M-1")  # ready again, with a later pickup date
    run = services.notices_send()

    bea_hold.refresh_from_db()
    assert bea_hold.status == HoldStatus.READY
    assert len(run.sent) == 1
    assert [message.to for message in mailoutbox] == [[bea.email], [bea.email]]
