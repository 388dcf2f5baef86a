"""A librarian prints labels for the copies they scanned, in a real browser: the PDF that
downloads is read back and its barcodes decoded."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from catalog.tests.factories import BookFactory, CopyFactory
from circulation.tests.browser.helpers import expect, login, sign_in
from labels.tests.reading import barcodes, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_librarian_scans_barcodes_and_downloads_their_labels(page):
    # The permission itself: a transactional test's flush takes the migrations' groups away.
    login("librarian", is_staff=True).user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename="view_copy")
    )
    book = BookFactory(title="Middlemarch")
    codes = [
        CopyFactory(book=book, barcode=f"MM-{n}", call_number="823.8 ELI").barcode for n in range(3)
    ]

    page.goto("/account/sign-in/?next=/staff/labels/")
    sign_in(page, "librarian")
    page.get_by_role("link", name="Labels").click()
    page.get_by_label("These barcodes").check()
    page.get_by_role("textbox", name="Barcodes").fill("\n".join(codes))
    page.get_by_label("Labels", exact=True).select_option("L7163")
    page.get_by_label("Spine labels (call number)").check()
    page.get_by_label("Start at label").fill("3")
    with page.expect_download() as download:
        page.get_by_role("button", name="Make the PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("labels-spine-L7163-")
    assert [text.text for text in texts(pdf)].count("823.8") == 3
    assert barcodes(pdf) == []

    page.get_by_label("Barcode labels").check()
    page.get_by_role("textbox", name="Barcodes").fill(codes[0] + " NOT-A-COPY")
    page.get_by_role("button", name="Make the PDF").click()
    expect()(page.get_by_role("alert").first).to_contain_text("No copy has the barcode NOT-A-COPY")
    page.get_by_role("textbox", name="Barcodes").fill(" ".join(codes))
    with page.expect_download() as download:
        page.get_by_role("button", name="Make the PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert sorted(found.text for found in barcodes(pdf)) == codes
