"""Labels: the PDFs read back (pages, sizes, where each label's text is, the barcodes decoded
by a real decoder), the ways to choose copies, and every refusal, through the API and the
staff page."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm

from catalog.models import Copy
from catalog.tests.factories import BookFactory, CopyFactory
from interchange.models import ImportKind, ImportRun, ImportStatus
from labels import selectors
from labels.layouts import SHEETS, Layout, layout_named
from labels.tests.reading import barcodes, page_sizes, texts

pytestmark = pytest.mark.django_db
URL = "/api/v1/labels/"


def make_copies(count: int, *, call_number: str = "823.7 AUS") -> list[str]:
    book = BookFactory(title="Pride and Prejudice")
    return [
        CopyFactory(book=book, barcode=f"PP{n:05d}", call_number=call_number).barcode
        for n in range(count)
    ]


def print_labels(client, **body):
    return client.post(URL, body, format="json")


def label_at(layout: Layout, position: int) -> tuple[float, float, float, float]:
    """The rectangle (left, bottom, right, top) of the label at ``position`` (0-based)."""
    x, y = layout.origin(position)
    return x, y, x + layout.label_width, y + layout.label_height


def inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y = point
    left, bottom, right, top = box
    return left <= x <= right and bottom <= y <= top


@pytest.mark.parametrize("layout", list(SHEETS.values()), ids=list(SHEETS))
def test_every_sheet_fits_its_page_and_no_two_labels_overlap(layout):
    boxes = [label_at(layout, n) for n in range(layout.per_page)]
    for left, bottom, right, top in boxes:
        assert min(left, bottom) >= 0, layout.name
        assert right <= layout.page_width + 0.01, layout.name
        assert top <= layout.page_height + 0.01, layout.name
    for n, (left, bottom, right, top) in enumerate(boxes):
        for other in boxes[n + 1 :]:
            apart = right <= other[0] + 0.01 or other[2] <= left + 0.01
            apart = apart or top <= other[1] + 0.01 or other[3] <= bottom + 0.01
            assert apart, layout.name


def test_barcode_labels_on_a_sheet_read_back_where_they_belong(staff_client, settings):
    settings.LIBRARY_NAME = "Riverside Library"
    codes = make_copies(23)
    answer = print_labels(staff_client, copies=codes, layout="L7160", kind="barcode")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["X-Label-Count"] == "23"
    assert "attachment;" in answer["Content-Disposition"]
    pdf = answer.content
    assert page_sizes(pdf) == [pytest.approx(A4)] * 2  # 21 on the first sheet, 2 on the next
    layout = SHEETS["L7160"]
    decoded = barcodes(pdf)
    assert sorted(found.text for found in decoded) == codes[:21]
    assert {found.symbology for found in decoded} == {"Code 128"}
    for n, code in enumerate(codes[:21]):
        (found,) = [found for found in decoded if found.text == code]
        assert inside((found.x, found.y), label_at(layout, n)), code
        # The barcode's text under it, and the library's name, on the same label.
        (text,) = [text for text in texts(pdf) if text.text == code]
        assert inside((text.x + 1, text.y + 1), label_at(layout, n))
        assert text.y < found.y
    names = [text for text in texts(pdf) if text.text == "Riverside Library"]
    assert len(names) == 21
    assert sorted(found.text for found in barcodes(pdf, page=1)) == codes[21:]


def test_a_partly_used_sheet_starts_at_the_first_free_label(staff_client):
    codes = make_copies(5)
    pdf = print_labels(staff_client, copies=codes, layout="5160", start_at=28).content
    layout = SHEETS["5160"]
    assert page_sizes(pdf) == [pytest.approx(LETTER)] * 2
    first = {found.text: found for found in barcodes(pdf)}
    assert set(first) == set(codes[:3])
    for n, code in enumerate(codes[:3]):
        assert inside((first[code].x, first[code].y), label_at(layout, 27 + n))
    second = {found.text: found for found in barcodes(pdf, page=1)}
    assert set(second) == set(codes[3:])
    assert inside((second[codes[3]].x, second[codes[3]].y), label_at(layout, 0))


def test_a_roll_prints_one_label_a_page_of_its_size(staff_client):
    codes = make_copies(3)
    pdf = print_labels(staff_client, copies=codes, layout="roll-62x29").content
    assert page_sizes(pdf) == [pytest.approx((62 * mm, 29 * mm))] * 3
    assert [barcodes(pdf, page=n)[0].text for n in range(3)] == codes
    assert page_sizes(
        print_labels(staff_client, copies=codes[:1], layout="roll-40x20").content
    ) == [pytest.approx((40 * mm, 20 * mm))]


def test_code_39_for_scanners_that_read_nothing_else(staff_client):
    codes = make_copies(2)
    pdf = print_labels(staff_client, copies=codes, layout="L7651", symbology="code39").content
    assert {(found.text, found.symbology) for found in barcodes(pdf)} == {
        (code, "Code 39") for code in codes
    }


def test_spine_labels_show_the_call_number_on_lines(staff_client):
    book = BookFactory(title="Emma")
    CopyFactory(book=book, barcode="E-1", call_number="823.7 AUS 2003")
    pdf = print_labels(staff_client, copies=["E-1"], kind="spine", layout="L7160").content
    found = texts(pdf)
    lines = [text for text in found if text.text in ("823.7", "AUS", "2003")]
    assert [text.text for text in lines] == ["823.7", "AUS", "2003"]
    assert lines[0].y > lines[1].y > lines[2].y  # one under the other
    assert all(inside((text.x + 1, text.y + 1), label_at(SHEETS["L7160"], 0)) for text in lines)
    assert any(text.text == "Emma" for text in found)
    assert barcodes(pdf) == []


def test_copies_by_import_run_day_and_search(staff_client):
    earlier = CopyFactory(barcode="OLD-1")
    Copy.objects.filter(pk=earlier.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    run = ImportRun.objects.create(
        kind=ImportKind.CATALOG,
        status=ImportStatus.DONE,
        source_name="books.csv",
        started_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    imported = [
        CopyFactory(book=BookFactory(title="Moby Dick"), barcode=f"MD-{n}").barcode
        for n in range(2)
    ]
    ImportRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    for body, expected in (
        ({"import_run": run.pk}, imported),
        ({"added_since": str(timezone.localdate())}, imported),
        ({"q": "moby"}, imported),
        (
            {"added_since": str(timezone.localdate() - datetime.timedelta(days=4))},
            ["OLD-1", *imported],
        ),
    ):
        pdf = print_labels(staff_client, **body, layout="L7160").content
        assert sorted(found.text for found in barcodes(pdf)) == sorted(expected), body


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ({}, "labels_source", "in one way"),
        ({"copies": ["A-1"], "q": "emma"}, "labels_source", "copies, q"),
        ({"copies": ["A-1", "NOPE-1", "NOPE-2"]}, "unknown_barcode", "NOPE-1, NOPE-2"),
        ({"copies": ["A-1"], "layout": "L9999"}, "invalid", "not a label layout"),
        ({"copies": ["A-1"], "layout": "roll-500x20"}, "invalid", "between 15 and 150 mm"),
        ({"copies": ["A-1"], "start_at": 22}, "cannot_print", "from 1 to 21"),
        ({"copies": ["A-1"], "layout": "roll-62x29", "start_at": 2}, "cannot_print", "roll"),
        ({"copies": ["a-1"], "symbology": "code39"}, "cannot_print", "Code 39 cannot write"),
        ({"copies": ["A-1"], "kind": "spine"}, "cannot_print", "no call number"),
        ({"copies": ["LONG-" + "9" * 40], "layout": "L7651"}, "cannot_print", "too long"),
        ({"import_run": 999}, "unknown_import_run", "no catalog import 999"),
        ({"copies": ["A-1"], "kind": "sticker"}, "invalid", "sticker"),
        ({"copies": ["A-1"], "start_at": 0}, "invalid", "greater than or equal to 1"),
    ],
)
def test_what_cannot_be_printed_is_refused_before_a_page_is_drawn(staff_client, body, code, says):
    CopyFactory(barcode="A-1", call_number="")
    CopyFactory(barcode="a-1")
    CopyFactory(barcode="LONG-" + "9" * 40)
    answer = print_labels(staff_client, **{"layout": "L7160", **body})
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == code
    assert says.lower() in str(error).lower()


def test_more_than_one_pdf_holds_is_refused_with_the_count(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "MOST_LABELS", 3)
    make_copies(4)
    answer = print_labels(staff_client, added_since=str(timezone.localdate()))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "too_many_labels"


def test_labels_are_for_staff_who_may_view_copies(api_client, patron_client, staff_user):
    codes = make_copies(1)
    assert print_labels(api_client, copies=codes).status_code == 401
    assert print_labels(patron_client, copies=codes).status_code == 403
    staff_user.user_permissions.remove(*staff_user.user_permissions.filter(codename="view_copy"))
    staff_user = get_user_model().objects.get(pk=staff_user.pk)  # no cached permissions
    api_client.force_authenticate(staff_user)
    answer = print_labels(api_client, copies=codes)
    assert answer.status_code == 403
    assert "catalog.view_copy" in answer.json()["error"]["message"]


def test_the_answer_is_a_pdf_whatever_the_client_accepts(staff_client):
    codes = make_copies(1)
    answer = staff_client.post(URL, {"copies": codes}, format="json", HTTP_ACCEPT="application/pdf")
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")


# --- The staff page ----------------------------------------------------------------------------


@pytest.fixture
def librarian_client(client):
    user = get_user_model().objects.create_user("desk", password="x-long-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return client


def test_the_staff_page_makes_the_pdf_from_scanned_barcodes(librarian_client):
    codes = make_copies(3)
    page = librarian_client.get("/staff/labels/")
    assert page.status_code == 200
    assert b"Make the PDF" in page.content
    assert b'href="/staff/labels/"' in page.content  # the site's navigation
    answer = librarian_client.post(
        "/staff/labels/",
        {
            "source": "copies",
            "copies": "\n".join(codes) + "\n",
            "layout": "L7163",
            "kind": "barcode",
            "start_at": "1",
            "symbology": "code128",
        },
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert sorted(found.text for found in barcodes(answer.content)) == codes


def test_the_staff_page_says_why_it_cannot_print(librarian_client):
    make_copies(1, call_number="")
    answer = librarian_client.post(
        "/staff/labels/",
        {
            "source": "copies",
            "copies": "PP00000 NOPE-9",
            "layout": "L7160",
            "kind": "spine",
            "start_at": "1",
            "symbology": "code128",
        },
    )
    assert answer.status_code == 400
    assert b"No copy has the barcode NOPE-9" in answer.content
    blank = librarian_client.post(
        "/staff/labels/",
        {
            "source": "q",
            "q": "",
            "layout": "L7160",
            "kind": "barcode",
            "start_at": "1",
            "symbology": "code128",
        },
    )
    assert blank.status_code == 400
    assert b"Fill this in" in blank.content


def test_layout_names_include_rolls_of_any_size_within_limits():
    assert layout_named("roll-62x29").is_roll
    assert layout_named("roll-25.5x15").label_width == pytest.approx(25.5 * mm)
