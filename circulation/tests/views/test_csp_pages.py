"""The Content-Security-Policy on circulation's pages (shelfmark/tests/test_csp.py has the rest
of the site): the site's policy, and no inline script or style in the HTML, on every page type
of the desk and of patrons' self-service, filled with rows."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.services.feeds import calendar_feed_issue
from circulation.tests.factories import PatronFactory
from shelfmark.tests.test_csp import SITE_POLICY, InlineCode, assert_no_inline_code, policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(reader, librarian):
    """A loan, a waiting hold, a trapped hold and a patron with history."""
    out = CopyFactory(barcode="OUT-1", book=BookFactory(title="Out"))
    services.loan_checkout(card_number=reader.card_number, barcode="OUT-1")
    trapped = CopyFactory(barcode="TRAP-1", book=BookFactory(title="Trapped"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="TRAP-1")
    hold = services.hold_place(patron=reader, book=trapped.book)
    services.loan_checkin(barcode="TRAP-1")
    waiting = CopyFactory(book=BookFactory(title="Waiting"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=waiting.barcode)
    services.hold_place(patron=reader, book=waiting.book)
    return {"patron": reader.pk, "hold": hold.pk, "book": waiting.book.pk, "out": out.book.pk}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/desk/", 200),
        ("/desk/checkin/", 200),
        ("/desk/patrons/?q=ada", 200),
        ("/desk/patrons/{patron}/", 200),
        ("/desk/patrons/{patron}/?book=wait", 200),
        ("/desk/overdue/", 200),
        ("/desk/holds/", 200),
        ("/desk/holds/{hold}/slip/", 200),
        ("/desk/patrons/999999/", 404),
    ],
)
def test_desk_pages_have_the_site_policy_and_no_inline_code(desk, scene, path, status):
    response = desk.get(path.format(**scene))

    assert response.status_code == status
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_the_desks_hold_cancel_confirmation_has_the_policy(desk, scene):
    response = desk.post(f"/desk/holds/{scene['hold']}/cancel/")

    assert "Cancel this hold?" in response.content.decode()
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_desk_pages_after_scans_and_refusals(desk, scene):
    desk.post("/desk/", {"action": "patron", "card": "CARD-ADA"})
    desk.post("/desk/", {"action": "copy", "barcode": "NOPE"})
    desk.post("/desk/checkin/", {"barcode": "OUT-1"})
    blocked = desk.post(f"/desk/patrons/{scene['patron']}/block/", {"action": "block"})
    for response in (desk.get("/desk/"), desk.get("/desk/checkin/"), blocked):
        assert policy(response) == SITE_POLICY
        assert_no_inline_code(response)
    assert blocked.status_code == 400


def test_the_desk_scripts_answers_hold_no_inline_code_and_nor_do_the_pages_after(desk, scene):
    json = {"Accept": "application/json"}
    answers = [
        desk.post("/desk/", {"action": "scan", "code": "CARD-ADA"}, headers=json),
        desk.post("/desk/", {"action": "scan", "code": "NOPE", "patron": scene["patron"]},
                  headers=json),
        desk.post("/desk/checkin/", {"action": "scan", "code": "OUT-1"}, headers=json),
        desk.post("/desk/", {"action": "done"}, headers=json),
    ]  # fmt: skip
    for response in answers:
        for fragment in response.json().values():
            if isinstance(fragment, str):
                found = InlineCode()
                found.feed(fragment)
                assert (found.scripts, found.handlers) == ([], [])
                assert (found.style_elements, found.style_attributes) == (0, 0)
    desk.post("/desk/", {"action": "scan", "code": "CARD-ADA"}, headers=json)
    for response in (desk.get("/desk/"), desk.get("/desk/checkin/")):
        assert policy(response) == SITE_POLICY
        assert_no_inline_code(response)


def test_the_desk_refusal_page_has_the_policy(reader_client):
    response = reader_client.get("/desk/")

    assert response.status_code == 403
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


@pytest.mark.parametrize(
    "path", ["/account/", "/books/{book}/", "/books/{out}/", "/account/sign-in/?next=/account/"]
)
def test_patron_pages_have_the_site_policy_and_no_inline_code(reader_client, scene, path):
    reader_client.post("/account/calendar/", {"action": "issue"})  # the page with the new link
    response = reader_client.get(path.format(**scene), follow=True)

    assert response.status_code == 200
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_the_no_card_page_and_the_feed_have_the_policy(client, patron_user, reader):
    client.force_login(patron_user)
    no_card = client.get("/account/")
    feed = Client().get(f"/calendar/{calendar_feed_issue(patron=reader)}.ics")

    for response in (no_card, feed):
        assert response.status_code == 200
        assert policy(response) == SITE_POLICY
    assert_no_inline_code(no_card)
