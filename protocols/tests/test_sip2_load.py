"""Many kiosks at once, on PostgreSQL: 20 SIP2 sessions, each its own connection and thread on
both sides, released together by a barrier, lending and taking back copies; and 20 kiosks
reaching for one copy. No error, no copy lent twice, every copy's status agreeing with its
loans."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count, Q

from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation.models import CirculationEvent, EventKind, Loan
from circulation.selectors import status_disagreements
from circulation.tests.factories import PatronFactory
from protocols.tests.test_sip2_server import Kiosk, kiosk_account, start_server, stop_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SESSIONS = 20
COPIES_EACH = 3


@pytest.fixture
def server():
    server = start_server()
    yield server
    stop_server(server)


def run_sessions(port: int, cards: list[str], session: Callable[[int, Kiosk], Any]) -> list[Any]:
    """``session(index, kiosk)`` at once for a kiosk of each patron of ``cards``, each on its
    own connection: what each returned, or the exception it raised."""
    count = len(cards)
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(index: int) -> None:
        kiosk = None
        try:
            kiosk = Kiosk(port, patron=cards[index])
            barrier.wait(timeout=60)
            outcomes[index] = session(index, kiosk)
        except Exception as error:  # the test lists them all
            outcomes[index] = error
        finally:
            if kiosk is not None:
                kiosk.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a session never finished"
    return outcomes


def test_twenty_kiosks_lend_and_take_back_distinct_copies(server):
    kiosk_account()
    port = int(server.server_address[1])
    patrons = [PatronFactory(card_number=f"P-{index:02d}") for index in range(SESSIONS)]
    for index in range(SESSIONS):
        book = BookFactory()
        for number in range(COPIES_EACH):
            CopyFactory(book=book, barcode=f"C-{index:02d}-{number}")

    def session(index: int, kiosk: Kiosk) -> list[str]:
        assert kiosk.login()
        answers = []
        for number in range(COPIES_EACH):
            lent = kiosk.ask("checkout", f"C-{index:02d}-{number}")
            answers.append(lent["fixed"]["Ok"])
        info = kiosk.ask("patron_information", "charged")
        answers.append(info["fixed"]["ChargedItemsCount"])
        for number in range(COPIES_EACH):
            returned = kiosk.ask("checkin", f"C-{index:02d}-{number}")
            answers.append(returned["fixed"]["Ok"])
        kiosk.ask("end_patron_session")
        return answers

    outcomes = run_sessions(port, [patron.card_number for patron in patrons], session)

    expected = ["1"] * COPIES_EACH + [f"{COPIES_EACH:04d}"] + ["1"] * COPIES_EACH
    assert outcomes == [expected] * SESSIONS, outcomes
    assert Loan.objects.count() == SESSIONS * COPIES_EACH
    assert not Loan.objects.filter(checked_in_at__isnull=True).exists()
    # Each copy lent once, to the patron of its own kiosk.
    lent = Loan.objects.values("copy_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not lent.exists()
    for loan in Loan.objects.select_related("copy", "patron"):
        assert loan.copy.barcode[2:4] == loan.patron.card_number[2:]
    assert set(Copy.objects.values_list("status", flat=True)) == {CopyStatus.AVAILABLE}
    kinds = CirculationEvent.objects.values("kind").annotate(n=Count("id"))
    assert {row["kind"]: row["n"] for row in kinds} == {
        EventKind.CHECKOUT: SESSIONS * COPIES_EACH,
        EventKind.CHECKIN: SESSIONS * COPIES_EACH,
    }
    assert status_disagreements() == []


def test_twenty_kiosks_reaching_for_one_copy_lend_it_once(server):
    kiosk_account()
    port = int(server.server_address[1])
    patrons = [PatronFactory(card_number=f"P-{index:02d}") for index in range(SESSIONS)]
    copy = CopyFactory(barcode="ONE")

    def session(index: int, kiosk: Kiosk) -> tuple[str, str]:
        assert kiosk.login()
        lent = kiosk.ask("checkout", "ONE")
        return lent["fixed"]["Ok"], lent["variable"].get("AF", [""])[0]

    outcomes = run_sessions(port, [patron.card_number for patron in patrons], session)

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    lent = [outcome for outcome in outcomes if outcome[0] == "1"]
    refused = [outcome for outcome in outcomes if outcome[0] == "0"]
    assert len(lent) == 1, outcomes
    assert len(refused) == SESSIONS - 1, outcomes
    assert {message for _ok, message in refused} == {"Copy ONE is on loan to another patron."}
    assert Loan.objects.filter(Q(copy=copy) & Q(checked_in_at__isnull=True)).count() == 1
    assert status_disagreements() == []
