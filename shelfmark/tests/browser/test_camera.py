"""Camera scanning in a real browser (camera.js): chromium's fake camera films a label this
project printed, and the barcode read from it goes where a scanner's would — into the
stocktake (ZXing in the page: headless chromium on Linux has no BarcodeDetector)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from django.contrib.auth.models import Permission
from PIL import Image

from catalog.tests.factories import BookFactory, CopyFactory
from circulation.tests.browser.helpers import expect, login, sign_in
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


def filmed_label(barcode: str, folder: Path, symbology: Symbology) -> Path:
    """A video of one printed label held in front of the camera."""
    pdf = labels_pdf(
        [LabelCopy(barcode, "", "")],
        layout=layout_named("roll-62x29"),
        kind=LabelKind.BARCODE,
        symbology=symbology,
    )
    label = pypdfium2.PdfDocument(pdf)[0].render(scale=6).to_pil()
    label.thumbnail((600, 400))
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(label, ((640 - label.width) // 2, (480 - label.height) // 2))
    return write_y4m(frame, folder / "label.y4m")


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
