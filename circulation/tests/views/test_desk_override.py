"""The checkout desk's patron box, with every reason the patron cannot borrow now (and "Renew the
card"), and "Lend anyway" on a refused line: with and without the desk's script, who is offered
it, and what the server does when someone who may not lend past a refusal asks anyway."""

from __future__ import annotations

import datetime
import re
import uuid
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus, Loan
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.conftest import PASSWORD
from circulation.tests.views.test_desk import text, text_of
from circulation.tests.views.test_desk_scans import answer, rows, scan, send
from shelfmark.formats import long_date
from shelfmark.tests.helpers import assert_error
from shelfmark.tests.test_csp import SITE_POLICY, InlineCode, assert_no_inline_code, policy

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


# --- Lend anyway, without the script -------------------------------------------------------------


def test_an_administrator_is_offered_lend_anyway_and_it_lends_recording_each_override(
    head, administrator, ada, middlemarch
):
    head.post("/desk/", {"action": "patron", "card": "CARD-1"})
    page = head.post("/desk/", {"action": "copy", "barcode": "B-1"}, follow=True)

    html = page.content.decode()
    assert len(forms(html)) == 2  # the row's and the newest line's box
    row_form, latest_form = forms(html)
    posted = fields(row_form)
    assert posted == fields(latest_form)
    key = dict(posted)["line"]
    assert posted == [
        ("csrfmiddlewaretoken", posted[0][1]),
        ("action", "override"),
        ("barcode", "B-1"),
        ("patron", str(ada.pk)),
        ("line", key),
        ("override", "card_expired"),
        ("override", "has_overdue_loans"),
        ("override", "max_loans"),
    ]
    assert re.search(r'<tr class="refused" data-key="[0-9a-f-]{36}">', html)
    button = re.search(r'<button type="submit" aria-label="([^"]*)">Lend anyway</button>', row_form)
    assert unescape(button.group(1)) == (
        "Lend anyway: Middlemarch (B-1), despite: card expired, overdue loans, loan limit reached"
    )
    assert 'maxlength="200"' in row_form

    lent = head.post(
        "/desk/",
        {**dict(posted[1:]), "override": ["card_expired", "has_overdue_loans", "max_loans"],
         "override_reason": "  Exam tomorrow  "},
        follow=True,
    )  # fmt: skip

    assert lent.redirect_chain == [("/desk/", 302)]  # post/redirect/get
    loan = Loan.objects.get(copy__barcode="B-1")
    assert loan.patron == ada
    assert override_events() == [
        (code, "head", "B-1", f"{message} Why: Exam tomorrow")
        for code, message in [
            ("card_expired", f"Ada Reader's card expired on {long_date(ada.expires_on)}; renew "
             "the card first."),
            ("has_overdue_loans", "Ada Reader has 1 overdue loan; it must be returned first."),
            ("max_loans", "Ada Reader has 2 loans, the most a Junior patron may have at once."),
        ]
    ]  # fmt: skip
    assert set(CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).values_list(
        "actor", flat=True)) == {administrator.pk}  # fmt: skip
    html = lent.content.decode()
    # The refused line became the loan's: one line for the copy, and no form left.
    assert len(rows(html)) == 1
    assert 'class="ok"' in rows(html)[0]
    assert "lent anyway (card expired, overdue loans, loan limit reached)" in text_of(rows(html)[0])
    assert forms(html) == []
    assert "Middlemarch (B-1) is due" in text(lent)


def test_a_librarian_confirms_lending_a_book_others_wait_for(desk, librarian, bea, middlemarch):
    waiting_for(middlemarch)
    desk.post("/desk/", {"action": "patron", "card": "CARD-2"})
    page = desk.post("/desk/", {"action": "copy", "barcode": "B-1"}, follow=True)

    assert "1 other patron is waiting for this book." in text(page)
    (form, _) = forms(page.content.decode())
    posted = dict(fields(form))
    assert posted["override"] == "book_held"
    assert "despite: others wait for the book" in form

    lent = desk.post("/desk/", {**posted, "override_reason": ""}, follow=True)

    assert Loan.objects.get(copy__barcode="B-1").patron == bea
    assert override_events() == [
        ("book_held", "desk", "B-1", "1 other patron is waiting for this book.")
    ]
    assert "lent anyway (others wait for the book)" in text(lent)
    assert Hold.objects.get(patron__name="Wendy Waiting").status == HoldStatus.WAITING


def test_a_librarian_sees_the_reasons_but_no_lend_anyway_for_what_needs_the_permission(
    desk, ada, middlemarch
):
    desk.post("/desk/", {"action": "patron", "card": "CARD-1"})

    page = desk.post("/desk/", {"action": "copy", "barcode": "B-1"}, follow=True)

    shown = text(page)
    assert "Ada Reader has 2 loans, the most a Junior patron may have at once." in shown
    assert "card expired on" in shown
    assert forms(page.content.decode()) == []
    assert "Lend anyway" not in shown
    assert '<tr class="refused">' in page.content.decode()  # no key: nothing names the line


def test_a_librarian_cannot_force_a_permission_override_with_a_crafted_form(desk, ada, middlemarch):
    desk.post("/desk/", {"action": "patron", "card": "CARD-1"})
    crafted = {
        "action": "override",
        "barcode": "B-1",
        "patron": ada.pk,
        "override": ["card_expired", "has_overdue_loans", "max_loans"],
        "override_reason": "Because I say so",
    }

    page = desk.post("/desk/", crafted, follow=True)

    assert page.redirect_chain == [("/desk/", 302)]
    assert not Loan.objects.filter(copy__barcode="B-1").exists()
    assert override_events() == []
    (row,) = rows(page.content.decode())
    assert 'class="refused"' in row
    assert (
        "Lending despite this (card expired, overdue loans, loan limit reached) needs the "
        "permission to lend anyway" in text_of(row)
    )
    assert "Ada Reader has 2 loans" in text_of(row)  # and the reasons
    assert forms(page.content.decode()) == []


def test_lend_anyway_in_a_new_session_lends_and_serves_the_lines_patron(
    administrator, ada, middlemarch
):
    # The form came from a page of a session that has ended since: it names its patron.
    client = Client()
    client.force_login(administrator)
    form = {"action": "override", "barcode": "B-1", "patron": ada.pk, "override": [
        "card_expired", "has_overdue_loans", "max_loans"]}  # fmt: skip

    page = client.post("/desk/", form, follow=True)

    assert Loan.objects.get(copy__barcode="B-1").patron == ada
    assert "Middlemarch (B-1) is due" in text(page)
    assert "Ada Reader" in text(page)


@pytest.mark.parametrize(
    "change",
    [
        {"override": ["no_such_refusal"]},
        {"override": []},
        {"override_reason": "x" * 201},
        {"patron": "Ada"},
    ],
)
def test_a_malformed_lend_anyway_form_lends_nothing_and_says_why(head, ada, middlemarch, change):
    head.post("/desk/", {"action": "patron", "card": "CARD-1"})
    form = {"action": "override", "barcode": "B-1", "patron": ada.pk, "override": "max_loans"}

    page = head.post("/desk/", {**form, **change}, follow=True)

    assert not Loan.objects.filter(copy__barcode="B-1").exists()
    (row,) = rows(page.content.decode())
    assert 'class="refused"' in row


# --- Lend anyway, through the script -------------------------------------------------------------


def lend_anyway(client: Client, line: dict, *, reason: str = "", key: str | None = None):
    """What desk.js sends for a refused line's "Lend anyway"."""
    form = {
        "action": "override",
        "code": line["barcode"],
        "patron": line["patron"],
        "override": line["lend_anyway"],
        "override_reason": reason,
        "line": line["key"],
    }
    return send(client, form, key=key)


def test_a_refused_line_has_each_reason_with_how_it_can_be_lent_past(head, desk, ada, middlemarch):
    waiting_for(middlemarch)
    for client, overridable in ((head, True), (desk, False)):
        refused = answer(scan(client, "B-1", ada))

        assert refused["line"]["patron"] == ada.pk
        assert refused["line"]["refusals"] == [
            {
                "code": "card_expired",
                "message": f"Ada Reader's card expired on {long_date(ada.expires_on)}; renew the "
                "card first.",
                "override": "permission",
                "overridable": overridable,
            },
            {
                "code": "has_overdue_loans",
                "message": "Ada Reader has 1 overdue loan; it must be returned first.",
                "override": "permission",
                "overridable": overridable,
            },
            {
                "code": "max_loans",
                "message": "Ada Reader has 2 loans, the most a Junior patron may have at once.",
                "override": "permission",
                "overridable": overridable,
            },
            {
                "code": "book_held",
                "message": "1 other patron is waiting for this book.",
                "override": "confirm",
                "overridable": True,
            },
        ]
        offered = "lend_anyway" in refused["line"]
        assert offered is overridable
        assert ("Lend anyway" in refused["row_html"]) is overridable
        assert ("Lend anyway" in refused["latest_html"]) is overridable


def test_lend_anyway_through_the_script_replaces_the_refused_line_with_the_loan(
    head, ada, middlemarch
):
    answer(scan(head, "CARD-1", key="k-card"))
    refused = answer(scan(head, "B-1", ada, key="k-refused"))["line"]
    assert refused["lend_anyway"] == ["card_expired", "has_overdue_loans", "max_loans"]
    again = answer(scan(head, "B-1", ada, key="k-again"))
    (form,) = forms(again["row_html"])
    assert dict(fields(form))["line"] == "k-again"  # the form names the line by its scan's key

    lent = answer(lend_anyway(head, refused, reason="Exam tomorrow", key="k-override"))

    assert lent["line"] == {
        "kind": "copy",
        "ok": True,
        "barcode": "B-1",
        "title": "Middlemarch",
        "due_on": Loan.objects.get(copy__barcode="B-1").due_on.isoformat(),
        "overridden": ["card_expired", "has_overdue_loans", "max_loans"],
        "key": "k-override",
    }
    assert lent["row_html"].startswith('<tr class="ok" data-key="k-override">')
    assert "lent anyway (card expired, overdue loans, loan limit reached)" in text_of(
        lent["row_html"]
    )
    assert lent["patron"]["id"] == ada.pk
    assert "3 on loan" in text_of(lent["patron_html"])
    assert [note.endswith("Why: Exam tomorrow") for *_, note in override_events()] == [True] * 3
    # The session's lines: the loan on top, in the refused line's place.
    keys = re.findall(r'data-key="([^"]+)"', "".join(rows(head.get("/desk/").content.decode())))
    assert keys == ["k-override", "k-again", "k-card"]


def test_lend_anyway_sent_again_is_replayed_and_lends_once(head, ada, middlemarch):
    refused = answer(scan(head, "B-1", ada))["line"]

    first = lend_anyway(head, refused, key="k-override")
    again = lend_anyway(head, refused, key="k-override")

    assert (again.content, again["Idempotent-Replayed"]) == (first.content, "true")
    assert Loan.objects.filter(copy__barcode="B-1").count() == 1
    assert len(override_events()) == 3


def test_a_librarians_crafted_permission_override_is_a_refused_line_not_a_403(
    desk, ada, middlemarch
):
    answer(scan(desk, "CARD-1"))
    crafted = {
        "barcode": "B-1",
        "patron": ada.pk,
        "lend_anyway": ["max_loans", "card_expired", "has_overdue_loans"],
        "key": "k-refused",
    }

    refused = answer(lend_anyway(desk, crafted))  # 200: a line, which keeps the queue going

    line = refused["line"]
    assert line["ok"] is False
    assert [r["code"] for r in line["refusals"]] == [
        "card_expired", "has_overdue_loans", "max_loans", "override_not_allowed",
    ]  # fmt: skip
    assert "needs the permission to lend anyway" in line["refusals"][-1]["message"]
    assert "lend_anyway" not in line
    assert "needs the permission to lend anyway" in text_of(refused["row_html"])
    assert "Lend anyway" not in refused["row_html"]
    assert not Loan.objects.filter(copy__barcode="B-1").exists()
    assert override_events() == []


def test_lend_anyway_for_an_earlier_patron_lends_to_them_and_keeps_serving_the_current_one(
    head, ada, bea, middlemarch
):
    answer(scan(head, "CARD-1"))
    refused = answer(scan(head, "B-1", ada))["line"]
    answer(scan(head, "CARD-2", ada))  # Bea's turn; Ada's refused row is still on the page

    lent = answer(lend_anyway(head, refused))

    assert Loan.objects.get(copy__barcode="B-1").patron == ada
    assert lent["patron"]["id"] == bea.pk
    assert "Bea Borrower" in text(head.get("/desk/"))


@pytest.mark.parametrize(
    "change",
    [
        {"override": ["no_such_refusal"]},
        {"override": []},
        {"override_reason": "x" * 201},
        {"patron": ""},
        {"code": " "},
    ],
)
def test_a_malformed_lend_anyway_from_the_script_is_a_400(head, ada, middlemarch, change):
    form = {"action": "override", "code": "B-1", "patron": ada.pk, "override": "max_loans"}

    assert_error(send(head, {**form, **change}, key=str(uuid.uuid4())), 400, "invalid")
    assert not Loan.objects.filter(copy__barcode="B-1").exists()


# --- No inline code ------------------------------------------------------------------------------


def test_the_box_and_lend_anyway_hold_no_inline_code_in_pages_and_answers(head, ada, middlemarch):
    """The site's policy allows none (shelfmark/tests/test_csp.py): the new forms are plain
    HTML, in the page and in the script's answers alike."""
    answers = [scan(head, "CARD-1"), scan(head, "B-1", ada)]
    assert "lend_anyway" in answer(answers[1])["line"]
    for response in answers:
        for fragment in answer(response).values():
            if isinstance(fragment, str):
                found = InlineCode()
                found.feed(fragment)
                assert (found.scripts, found.handlers) == ([], [])
                assert (found.style_elements, found.style_attributes) == (0, 0)
    page = head.get("/desk/")
    assert "Renew the card" in text(page)
    assert len(forms(page.content.decode())) == 2
    assert policy(page) == SITE_POLICY
    assert_no_inline_code(page)
