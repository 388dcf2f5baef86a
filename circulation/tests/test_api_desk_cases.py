"""The desk's cases through the API: a checkout fills the borrower's own hold, refusals come
all at once with how each may be overridden, ``override`` (who may, what is recorded, what
stays refused), a lost copy found at check-in, suspended holds, card renewal, and a patron's
``blocks``."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, Loan
from circulation.services.patrons import add_months
from circulation.tests.factories import PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

API = "/api/v1"
CHECKOUT = f"{API}/circulation/checkout/"
CHECKIN = f"{API}/circulation/checkin/"
TODAY = timezone.localdate


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def book():
    return BookFactory(title="Middlemarch")


@pytest.fixture
def ada():
    return PatronFactory(card_number="ADA", name="Ada Reader")


@pytest.fixture
def bea():
    return PatronFactory(card_number="BEA", name="Bea Waiting")


@pytest.fixture
def senior(administrator):
    """An Administrators account: it has circulation.override_refusals."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(administrator)
    return client


def lend(client, patron, barcode, **body):
    return client.post(CHECKOUT, {"patron": patron.card_number, "copy": barcode, **body})


def on_hold_shelf_for(patron, copy):
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    hold = services.hold_place(patron=patron, book=copy.book)
    services.loan_checkin(barcode=copy.barcode)
    return hold


def test_a_checkout_fills_the_borrowers_own_waiting_hold(desk, book, ada, bea):
    CopyFactory(book=book, barcode="M-1")
    out = CopyFactory(book=book, barcode="M-2")
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=out.barcode)
    hold = Hold.objects.create(patron=ada, book=book, sequence=1, placed_at=timezone.now())

    assert lend(desk, ada, "M-1").status_code == 201

    body = desk.get(f"{API}/holds/{hold.pk}/").json()
    assert body["status"] == "collected"


def test_a_ready_copy_for_someone_else_is_refused_with_its_reasons(desk, book, ada, bea):
    on_hold_shelf_for(bea, CopyFactory(book=book, barcode="M-1"))

    error = assert_error(lend(desk, ada, "M-1"), 409, "copy_on_hold_shelf")

    assert error["reasons"] == [
        {
            "code": "copy_on_hold_shelf",
            "message": "Copy M-1 is on the hold shelf for another patron (Bea Waiting, card BEA).",
            "override": "permission",
            "overridable": False,  # a librarian has no override permission
        }
    ]


def test_a_librarian_may_not_override_what_needs_the_permission(desk, book, ada, bea):
    on_hold_shelf_for(bea, CopyFactory(book=book, barcode="M-1"))

    error = assert_error(
        lend(desk, ada, "M-1", override=["copy_on_hold_shelf"]), 403, "override_not_allowed"
    )

    assert "permission to lend anyway" in error["message"]
    assert not Loan.objects.filter(patron=ada).exists()


def test_staff_with_the_permission_override_and_it_is_recorded(
    senior, administrator, book, ada, bea
):
    bea_hold = on_hold_shelf_for(bea, CopyFactory(book=book, barcode="M-1"))

    response = lend(
        senior, ada, "M-1", override=["copy_on_hold_shelf"], override_reason="Bea said so"
    )

    assert response.status_code == 201, response.content
    loan = Loan.objects.get(patron=ada)
    event = CirculationEvent.objects.get(kind=EventKind.OVERRIDE)
    assert (event.actor, event.loan, event.from_state) == (
        administrator,
        loan,
        "copy_on_hold_shelf",
    )
    assert event.note.endswith("Why: Bea said so")
    hold = senior.get(f"{API}/holds/{bea_hold.pk}/").json()
    assert (hold["status"], hold["position"], hold["copy"]) == ("waiting", 1, None)


def test_every_reason_at_once_and_what_stays_refused(senior, book, ada):
    ada.expires_on = TODAY() - days(1)
    ada.blocked, ada.block_reason = True, "Unpaid damage"
    ada.save()
    CopyFactory(book=book, barcode="M-1")

    error = assert_error(lend(senior, ada, "M-1", override=["card_expired"]), 409, "patron_blocked")

    assert [(r["code"], r["override"], r["overridable"]) for r in error["reasons"]] == [
        ("patron_blocked", None, False),
        ("card_expired", "permission", True),
    ]
    assert "Unpaid damage" in error["message"]
    assert not Loan.objects.exists()


def test_others_waiting_asks_any_librarian_to_confirm(desk, librarian, book, ada, bea, settings):
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    CopyFactory(book=book, barcode="M-1")
    services.hold_place(patron=bea, book=book)

    error = assert_error(lend(desk, ada, "M-1"), 409, "book_held")
    assert error["reasons"][0]["override"] == "confirm"
    assert error["reasons"][0]["overridable"] is True

    assert lend(desk, ada, "M-1", override=["book_held"]).status_code == 201
    event = CirculationEvent.objects.get(kind=EventKind.OVERRIDE)
    assert (event.actor, event.from_state) == (librarian, "book_held")


@pytest.mark.parametrize(
    ("override", "field_error"),
    [
        (["copy_on_loan"], '"copy_on_loan" is not a valid choice.'),
        ("book_held", 'Expected a list of items but got type "str".'),
    ],
)
def test_only_overridable_codes_may_be_named(desk, book, ada, override, field_error):
    CopyFactory(book=book, barcode="M-1")

    error = assert_error(lend(desk, ada, "M-1", override=override), 400, "invalid")

    assert field_error in str(error["fields"])


def test_a_lost_copy_checked_in_is_found_and_trapped(desk, book, bea, settings):
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    copy = CopyFactory(book=book, barcode="M-1")
    services.hold_place(patron=bea, book=book)
    Copy.objects.filter(pk=copy.pk).update(status=CopyStatus.LOST)

    body = desk.post(CHECKIN, {"copy": "M-1"}).json()

    assert body["copy_found"] is True
    assert body["hold"]["status"] == "ready"
    assert "was marked lost; it is marked found now" in body["message"]
    assert CirculationEvent.objects.filter(kind=EventKind.COPY_FOUND).count() == 1


@pytest.fixture
def waiting(book, ada):
    copy = CopyFactory(book=book, barcode="M-1")
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    return services.hold_place(patron=ada, book=book)


def test_a_patron_suspends_and_resumes_their_own_hold(waiting, reader_a, client_a, book):
    hold = services.hold_place(patron=reader_a, book=book)
    until = TODAY() + days(20)

    body = client_a.patch(
        f"{API}/holds/{hold.pk}/", {"suspended_until": until.isoformat()}, format="json"
    ).json()
    assert (body["suspended_until"], body["position"]) == (until.isoformat(), 2)

    body = client_a.patch(
        f"{API}/holds/{hold.pk}/", {"suspended_until": None}, format="json"
    ).json()
    assert body["suspended_until"] is None
    kinds = list(
        CirculationEvent.objects.filter(hold=hold).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [EventKind.HOLD_PLACED, EventKind.HOLD_SUSPENDED, EventKind.HOLD_RESUMED]


def test_a_patron_cannot_suspend_anothers_hold(waiting, client_b):
    response = client_b.patch(
        f"{API}/holds/{waiting.pk}/",
        {"suspended_until": (TODAY() + days(3)).isoformat()},
        format="json",
    )
    assert_error(response, 404, "not_found")


def test_a_suspension_date_in_the_past_is_a_400(waiting, desk):
    response = desk.patch(
        f"{API}/holds/{waiting.pk}/", {"suspended_until": TODAY().isoformat()}, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"suspended_until": ["The day the hold resumes must be after today."]}


def test_suspended_holds_are_passed_over_at_check_in(waiting, desk, bea):
    later = services.hold_place(patron=bea, book=waiting.book)
    desk.patch(
        f"{API}/holds/{waiting.pk}/",
        {"suspended_until": (TODAY() + days(5)).isoformat()},
        format="json",
    )

    body = desk.post(CHECKIN, {"copy": "M-1"}).json()

    assert body["hold"]["id"] == later.pk


def test_staff_renew_an_expired_card(desk, ada):
    ada.expires_on = TODAY() - days(1)
    ada.save()

    response = desk.post(f"{API}/patrons/{ada.pk}/renew-card/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expires_on"] == add_months(TODAY(), 12).isoformat()
    assert body["blocks"] == []


def test_a_patron_cannot_renew_their_own_card(client_a, reader_a):
    assert_error(
        client_a.post(f"{API}/patrons/{reader_a.pk}/renew-card/"), 403, "permission_denied"
    )


def test_a_patrons_blocks_say_every_reason_they_cannot_borrow(desk, ada, reader_a, client_a):
    ada.expires_on = TODAY() - days(2)
    ada.save()
    services.loan_checkout(card_number=reader_a.card_number, barcode=CopyFactory().barcode)
    Loan.objects.filter(patron=reader_a).update(due_on=TODAY() - days(1))

    blocks = desk.get(f"{API}/patrons/{ada.pk}/").json()["blocks"]
    own = client_a.get(f"{API}/me/").json()["patron"]["blocks"]

    assert [(b["code"], b["override"]) for b in blocks] == [("card_expired", "permission")]
    assert [b["code"] for b in own] == ["has_overdue_loans"]
    assert own[0]["message"] == "Ada Reader has 1 overdue loan; it must be returned first."
    assert own[0]["overridable"] is False  # a patron overrides nothing
