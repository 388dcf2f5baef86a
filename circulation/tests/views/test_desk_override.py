"""The checkout desk's patron box, with every reason the patron cannot borrow now (and "Renew the
card"), and "Lend anyway" on a refused line: with and without the desk's script, who is offered
it, and what the server does when someone who may not lend past a refusal asks anyway."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Loan
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.conftest import PASSWORD
from circulation.tests.views.test_desk import text, text_of
from circulation.tests.views.test_desk_scans import answer, scan
from shelfmark.formats import long_date

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
YESTERDAY = datetime.timedelta(days=-1)


@pytest.fixture
def administrator(db):
    """Staff in the Administrators group, which may lend past every refusal that can be."""
    user = get_user_model().objects.create_user(username="head", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Administrators"))
    return user


@pytest.fixture
def head(administrator) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


@pytest.fixture
def ada():
    """Ada is at her loan limit (2, one overdue) and her card expired yesterday."""
    category = PatronCategoryFactory(name="Junior", max_loans=2, overdue_blocks=True)
    ada = PatronFactory(card_number="CARD-1", name="Ada Reader", category=category)
    for barcode in ("OUT-1", "OUT-2"):
        CopyFactory(barcode=barcode)
        services.loan_checkout(card_number="CARD-1", barcode=barcode)
    Loan.objects.filter(copy__barcode="OUT-1").update(due_on=TODAY() - datetime.timedelta(days=3))
    ada.expires_on = TODAY() + YESTERDAY
    ada.save(update_fields=["expires_on"])
    return ada


@pytest.fixture
def bea():
    return PatronFactory(card_number="CARD-2", name="Bea Borrower")


@pytest.fixture
def middlemarch():
    return CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch"))


def waiting_for(copy) -> None:
    """Someone else is in the queue for ``copy``'s book, the copy still on the shelf (a hold
    placed while it was, or a copy back in the stacks)."""
    with override_settings(HOLDS_ALLOWED_WHEN_AVAILABLE=True):
        services.hold_place(patron=PatronFactory(name="Wendy Waiting"), book=copy.book)


def forms(html: str) -> list[str]:
    return re.findall(r"<form[^>]*data-desk-override.*?</form>", html, re.S)


def fields(form: str) -> list[tuple[str, str]]:
    """The hidden fields a "Lend anyway" form posts, in order."""
    return [
        (name, unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
    ]


def override_events():
    return list(
        CirculationEvent.objects.filter(kind=EventKind.OVERRIDE)
        .order_by("id")
        .values_list("from_state", "actor__username", "loan__copy__barcode", "note")
    )


# --- The patron box ------------------------------------------------------------------------------


def test_the_box_lists_every_reason_the_patron_cannot_borrow_before_any_copy(desk, ada):
    services.patron_update(patron=ada, blocked=True, block_reason="Lost three books")

    page = desk.post("/desk/", {"action": "patron", "card": "CARD-1"}, follow=True)

    html = page.content.decode()
    box = re.search(r'<div class="patron-card warn">.*?</div>\s*</div>', html, re.S).group()
    assert [unescape(item) for item in re.findall(r"<li>(.*?)</li>", box)] == [
        "Ada Reader's card is blocked: Lost three books",
        f"Ada Reader's card expired on {long_date(ada.expires_on)}; renew the card first.",
        "Ada Reader has 1 overdue loan; it must be returned first.",
        "Ada Reader has 2 loans, the most a Junior patron may have at once.",
    ]
    assert "Cannot borrow right now:" in text_of(box)
    # The same box in the script's answers.
    card = answer(scan(desk, "CARD-1"))
    assert text_of(card["patron_html"]) == text_of(box)


def test_a_patron_who_may_borrow_has_no_warning(desk, bea):
    html = desk.post("/desk/", {"action": "patron", "card": "CARD-2"}, follow=True)

    assert '<div class="patron-card">' in html.content.decode()
    assert "Cannot borrow" not in text(html)
    assert "Renew the card" not in text(html)


def test_renew_the_card_is_offered_for_an_expired_card_and_renews_it_from_the_box(desk, ada):
    page = desk.post("/desk/", {"action": "patron", "card": "CARD-1"}, follow=True)
    form = re.search(r"<form[^>]*data-desk-after-queue.*?</form>", page.content.decode(), re.S)
    assert form is not None
    assert f'action="/desk/patrons/{ada.pk}/renew-card/"' in form.group()
    assert '<input type="hidden" name="next" value="/desk/">' in form.group()

    renewed = desk.post(f"/desk/patrons/{ada.pk}/renew-card/", {"next": "/desk/"}, follow=True)

    assert renewed.redirect_chain == [("/desk/", 302)]
    ada.refresh_from_db()
    assert ada.expires_on > TODAY()
    shown = text(renewed)
    assert f"Ada Reader's card is renewed: valid until {long_date(ada.expires_on)}." in shown
    assert "card expired" not in shown
    assert "Renew the card" not in shown
    assert "Ada Reader has 2 loans, the most a Junior patron may have at once." in shown


def test_renew_the_card_is_shown_only_to_staff_who_may_change_patrons(client, ada):
    lender = get_user_model().objects.create_user("lender", password=PASSWORD, is_staff=True)
    lender.user_permissions.add(Permission.objects.get(codename="add_loan"))
    client.force_login(lender)

    page = client.post("/desk/", {"action": "patron", "card": "CARD-1"}, follow=True)

    assert "card expired on" in text(page)  # the reasons, still
    assert "Renew the card" not in text(page)


def test_renew_the_card_is_not_offered_when_the_card_is_valid(desk, bea):
    bea.expires_on = TODAY()
    bea.save(update_fields=["expires_on"])  # expires tonight: valid today

    page = desk.post("/desk/", {"action": "patron", "card": "CARD-2"}, follow=True)

    assert "Cannot borrow" not in text(page)
    assert "Renew the card" not in text(page)
