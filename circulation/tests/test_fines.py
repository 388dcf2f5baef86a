"""Fines (settings.FINES_ENABLED): what an overdue loan costs (open days, grace, maximum, rules
for a loan type), the ledger growing and never edited, payments and waivers, the block at
checkout, the API and who sees what; and a library with fines off sees none of it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from catalog.models import LoanType
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import (
    CirculationRule,
    ClosedWeekday,
    FineEntry,
    FineKind,
    Loan,
    Patron,
)
from circulation.policy import FineTerms
from circulation.services.fines import fines_accrue
from circulation.tests.factories import PatronCategoryFactory, PatronFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def fines_on(settings):
    settings.FINES_ENABLED = True


@pytest.fixture
def adult():
    return PatronCategoryFactory(
        name="Adult",
        fine_per_day=Decimal("0.25"),
        fine_grace_days=2,
        fine_max_per_loan=Decimal("5.00"),
        fines_block_at=Decimal("3.00"),
        overdue_blocks=False,  # the fines, not the overdue loans, are what is tested
        max_loans=20,
    )


def overdue_loan(
    patron: Patron, days: int, *, barcode: str = "", loan_type: str = LoanType.NORMAL
) -> Loan:
    copy = CopyFactory(
        book=BookFactory(), loan_type=loan_type, **({"barcode": barcode} if barcode else {})
    )
    loan = services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY - datetime.timedelta(days=days))
    return Loan.objects.get(pk=loan.pk)


def test_the_fine_counts_open_days_past_the_grace_up_to_the_maximum():
    terms = FineTerms(per_day=Decimal("0.25"), grace_days=2, max_per_loan=Decimal("5.00"))
    assert [terms.fine(days) for days in (0, 1, 2, 3, 10, 40)] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.75"),
        Decimal("2.50"),
        Decimal("5.00"),
    ]


def test_the_daily_run_charges_what_a_fine_grew_by_and_closed_days_do_not_count(adult):
    patron = PatronFactory(category=adult)
    loan = overdue_loan(patron, 7)
    assert fines_accrue() == 1
    assert fines_accrue() == 0  # the same day again: nothing more
    (charge,) = FineEntry.objects.filter(loan=loan)
    assert (charge.kind, charge.amount) == (FineKind.CHARGE, Decimal("1.75"))
    # A day later the fine grew by a day: one more charge, of that day only.
    assert fines_accrue(TODAY + datetime.timedelta(days=1)) == 1
    assert [e.amount for e in FineEntry.objects.filter(loan=loan).order_by("id")] == [
        Decimal("1.75"),
        Decimal("0.25"),
    ]
    # Closed every day of the week but today's: only the open days count.
    other = PatronFactory(category=adult)
    late = overdue_loan(other, 7)
    for weekday in range(7):
        if weekday != TODAY.weekday():
            ClosedWeekday.objects.create(weekday=weekday)
    fines_accrue()
    assert not FineEntry.objects.filter(loan=late).exists()  # 1 open day: within the grace


def test_a_rule_for_a_loan_type_sets_its_own_amounts(adult):
    CirculationRule.objects.create(
        category=adult, loan_type=LoanType.SHORT, fine_per_day=Decimal("1.00"), fine_grace_days=0
    )
    patron = PatronFactory(category=adult)
    short = overdue_loan(patron, 4, loan_type=LoanType.SHORT)
    normal = overdue_loan(patron, 4)
    fines_accrue()
    assert FineEntry.objects.get(loan=short).amount == Decimal("4.00")
    assert FineEntry.objects.get(loan=normal).amount == Decimal("1.00")  # past the grace: 4 days


def test_check_in_charges_the_final_fine_at_once(adult):
    patron = PatronFactory(category=adult)
    loan = overdue_loan(patron, 5, barcode="LATE-1")
    services.loan_checkin(barcode="LATE-1")
    assert FineEntry.objects.get(loan=loan).amount == Decimal("1.25")
    fines_accrue(TODAY + datetime.timedelta(days=3))
    assert FineEntry.objects.filter(loan=loan).count() == 1  # returned: it grows no more


def test_payments_and_waivers_through_the_api(staff_client, adult):
    patron = PatronFactory(category=adult)
    overdue_loan(patron, 12)  # 12 days: 3.00
    overdue_loan(patron, 5)  # 1.25
    fines_accrue()
    url = f"/api/v1/patrons/{patron.pk}/payments/"
    too_much = staff_client.post(url, {"amount": "9.00"}, format="json")
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "payment_exceeds_balance"
    for bad in ("0", "-1", "1.001", "lots", None):
        assert staff_client.post(url, {"amount": bad}, format="json").status_code == 400, bad
    paid = staff_client.post(url, {"amount": "1.00", "note": "cash"}, format="json")
    assert paid.status_code == 201
    assert (paid.json()["kind"], paid.json()["amount"], paid.json()["balance"]) == (
        "payment",
        "1.00",
        "3.25",
    )
    charge = FineEntry.objects.filter(kind=FineKind.CHARGE).order_by("amount").first()
    waived = staff_client.post(
        f"/api/v1/fines/{charge.pk}/waive/", {"note": "first time"}, format="json"
    )
    assert waived.status_code == 201
    assert (waived.json()["kind"], waived.json()["amount"], waived.json()["charge"]) == (
        "waiver",
        "1.25",
        charge.pk,
    )
    again = staff_client.post(f"/api/v1/fines/{charge.pk}/waive/", {}, format="json")
    assert again.json()["error"]["code"] == "nothing_to_waive"
    ledger = staff_client.get("/api/v1/fines/", {"patron": patron.pk}).json()["results"]
    assert [row["kind"] for row in ledger] == ["waiver", "payment", "charge", "charge"]
    assert {row["waivable"] for row in ledger if row["kind"] == "charge"} == {"3.00", "0.00"}


def test_a_patron_sees_only_their_own_fines(patron_client, patron_user, adult, api_client):
    me = PatronFactory(category=adult, user=patron_user)
    other = PatronFactory(category=adult)
    overdue_loan(me, 5)
    overdue_loan(other, 9)
    fines_accrue()
    mine = patron_client.get("/api/v1/fines/").json()["results"]
    assert [row["patron"] for row in mine] == [me.pk]
    theirs = FineEntry.objects.get(patron=other)
    assert patron_client.get(f"/api/v1/fines/{theirs.pk}/").status_code == 404
    assert (
        patron_client.post(f"/api/v1/fines/{mine[0]['id']}/waive/", {}, format="json").status_code
        == 403
    )
    assert (
        patron_client.post(
            f"/api/v1/patrons/{me.pk}/payments/", {"amount": "1"}, format="json"
        ).status_code
        == 403
    )
    assert api_client.get("/api/v1/fines/").status_code == 401


def test_fines_owed_past_the_threshold_stop_borrowing(staff_client, adult):
    patron = PatronFactory(category=adult)
    overdue_loan(patron, 14)  # 3.50: past the threshold of 3.00
    fines_accrue()
    copy = CopyFactory(book=BookFactory())
    refused = staff_client.post(
        "/api/v1/circulation/checkout/",
        {"patron": patron.card_number, "copy": copy.barcode},
        format="json",
    )
    assert refused.status_code == 409
    assert "fines_owed" in str(refused.json())
    staff_client.post(f"/api/v1/patrons/{patron.pk}/payments/", {"amount": "1.00"}, format="json")
    lent = staff_client.post(
        "/api/v1/circulation/checkout/",
        {"patron": patron.card_number, "copy": copy.barcode},
        format="json",
    )
    assert lent.status_code == 201


@pytest.mark.postgres
def test_the_ledger_is_never_edited(adult):
    """PostgreSQL's trigger keeps the ledger."""
    patron = PatronFactory(category=adult)
    overdue_loan(patron, 6)
    fines_accrue()
    entry = FineEntry.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        FineEntry.objects.filter(pk=entry.pk).update(amount=Decimal("0.01"))
    with pytest.raises(DatabaseError), transaction.atomic():
        FineEntry.objects.filter(pk=entry.pk).delete()


def test_the_desk_and_my_account_show_the_fines(client, staff_user, patron_user, adult):
    patron = PatronFactory(category=adult, user=patron_user, name="Ada")
    overdue_loan(patron, 6)
    fines_accrue()
    client.force_login(staff_user)
    page = client.get(f"/desk/patrons/{patron.pk}/")
    assert b"Owed: <strong>1.50" in page.content
    assert b"Take payment" in page.content
    answer = client.post(
        f"/desk/patrons/{patron.pk}/payments/", {"amount": "0.40", "note": "coins"}, follow=True
    )
    assert b"Payment of 0.40 taken from Ada." in answer.content
    charge = FineEntry.objects.get(kind=FineKind.CHARGE)
    answer = client.post(f"/desk/fines/{charge.pk}/waive/", {"note": "kind"}, follow=True)
    assert b"Waived 1.10." in answer.content
    client.force_login(patron_user)
    mine = client.get("/account/")
    assert b"Owed: <strong>0.00" in mine.content


def test_with_fines_off_the_library_sees_none_of_it(
    settings, staff_client, client, staff_user, adult
):
    settings.FINES_ENABLED = False
    patron = PatronFactory(category=adult)
    overdue_loan(patron, 20)
    assert fines_accrue() == 0
    assert not FineEntry.objects.exists()
    assert staff_client.get("/api/v1/fines/").json()["error"]["code"] == "fines_disabled"
    answer = staff_client.post(
        f"/api/v1/patrons/{patron.pk}/payments/", {"amount": "1"}, format="json"
    )
    assert answer.status_code == 404
    client.force_login(staff_user)
    assert b"Fines" not in client.get(f"/desk/patrons/{patron.pk}/").content


def test_the_desk_lists_fines_owed_among_the_reasons_a_patron_cannot_borrow(adult):
    from circulation.selectors import desk
    from circulation.selectors.rows import PATRON_ROWS

    patron = PatronFactory(category=adult)
    overdue_loan(patron, 14)  # 3.50 owed, from 3.00 no borrowing
    fines_accrue()
    summary = desk.patron_summary(patron.pk, TODAY)
    assert "fines_owed" in [block.code for block in summary["blocks"]]
    (row,) = PATRON_ROWS.present(PATRON_ROWS.rows(Patron.objects.filter(pk=patron.pk)))
    assert "fines_owed" in [block["code"] for block in row["blocks"]]
