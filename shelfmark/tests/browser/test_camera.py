"""Camera scanning in a real browser (camera.js): chromium's fake camera films a label this
project printed, or a book's ISBN barcode, and the code read from it goes where a scanner's
would — into the stocktake, the desk's check-in, the catalog's search (ZXing in the page:
headless chromium on Linux has no BarcodeDetector)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth.models import Permission
from PIL import Image

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Loan
from circulation.tests.browser.helpers import desk_user, expect, login, sign_in
from circulation.tests.factories import PatronFactory
from labels.kinds import LabelCopy, LabelKind, Symbology
from labels.layouts import layout_named
from labels.pdf import labels_pdf
from shelfmark.testing.browser import (
    fake_camera_flags,
    launched_chromium,
    open_page,
    require_chromium,
    write_y4m,
)
from stocktake.models import Stocktake, StocktakeScan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def filmed(picture: Image.Image, folder: Path) -> Path:
    """A video of ``picture`` held in front of the camera, on a white page."""
    picture.thumbnail((600, 400))
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    return write_y4m(frame, folder / "filmed.y4m")


def filmed_label(barcode: str, folder: Path, symbology: Symbology) -> Path:
    """A video of one printed label held in front of the camera."""
    pdf = labels_pdf(
        [LabelCopy(barcode, "", "")],
        layout=layout_named("roll-62x29"),
        kind=LabelKind.BARCODE,
        symbology=symbology,
    )
    return filmed(pypdfium2.PdfDocument(pdf)[0].render(scale=6).to_pil(), folder)


def filmed_isbn(isbn: str, folder: Path) -> Path:
    """A video of a book's back cover: its ISBN as the EAN-13 barcode printed there (drawn by
    zxing-cpp, the decoder the label tests read with)."""
    # An 8-bit grey bitmap that exposes the buffer protocol (zxing-cpp's stubs do not say so).
    bitmap: Any = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(isbn, zxingcpp.BarcodeFormat.EAN13), scale=3
    )
    height, width = bitmap.shape
    pixels = bytes(memoryview(bitmap))
    return filmed(Image.frombuffer("L", (width, height), pixels, "raw", "L", 0, 1), folder)


@pytest.mark.parametrize("symbology", [Symbology.CODE128, Symbology.CODE39])
def test_a_copy_scanned_with_the_camera_is_counted(live_server, monkeypatch, tmp_path, symbology):
    require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    login("librarian", is_staff=True).user_permissions.set(
        Permission.objects.filter(content_type__app_label="stocktake")
    )
    CopyFactory(book=BookFactory(title="Middlemarch"), barcode="CAM-0042")
    stocktake = Stocktake.objects.create(name="Camera shelf")
    video = filmed_label("CAM-0042", tmp_path, symbology)
    with launched_chromium(extra_flags=fake_camera_flags(video)) as browser:
        page = open_page(browser, live_server)
        page.goto(f"/account/sign-in/?next=/staff/stocktake/{stocktake.pk}/")
        sign_in(page, "librarian")
        page.get_by_role("button", name="Scan with camera").click()
        expect()(page.locator("#scans tbody tr")).to_have_count(1)
        expect()(page.locator("#scans tbody tr").first).to_contain_text("CAM-0042")
        expect()(page.get_by_role("dialog")).to_have_count(0)  # closed once it read the code
    assert list(StocktakeScan.objects.values_list("barcode", "outcome")) == [("CAM-0042", "seen")]


def test_a_copy_filmed_at_the_desks_check_in_comes_back(live_server, monkeypatch, tmp_path):
    require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    desk_user()
    copy = CopyFactory(book=BookFactory(title="Middlemarch"), barcode="CAM-0077")
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    video = filmed_label("CAM-0077", tmp_path, Symbology.CODE128)
    with launched_chromium(extra_flags=fake_camera_flags(video)) as browser:
        page = open_page(browser, live_server)
        page.goto("/account/sign-in/?next=/desk/checkin/")
        sign_in(page, "librarian")
        page.get_by_role("button", name="Scan with camera").click()
        expect()(page.locator(".latest")).to_contain_text("CAM-0077")
    assert Loan.objects.get(copy=copy).checked_in_at is not None


def test_an_isbn_filmed_from_a_back_cover_finds_the_book(live_server, monkeypatch, tmp_path):
    require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    BookFactory(title="Optics of the Lighthouse", isbn="9780306406157")
    BookFactory(title="Middlemarch")
    video = filmed_isbn("9780306406157", tmp_path)
    with launched_chromium(extra_flags=fake_camera_flags(video)) as browser:
        page = open_page(browser, live_server)
        page.goto("/")
        page.get_by_role("button", name="Scan with camera").click()
        page.wait_for_url(re.compile(r"[?&]q=9780306406157"))
        expect()(page.locator(".book-list")).to_contain_text("Optics of the Lighthouse")
        expect()(page.locator(".book-list")).not_to_contain_text("Middlemarch")
