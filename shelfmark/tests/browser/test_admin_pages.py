"""The Django admin's book pages, which staff use to catalogue by hand: axe-core finds no
serious or critical problem, at a desktop's width and a phone's, where the project's own admin
configuration causes it (the inline copies' fields carry their column's name)."""

from __future__ import annotations

import pytest

from catalog.tests.factories import BookFactory, CopyFactory
from shelfmark.testing.browser import DESKTOP, PHONE, axe_problems, open_page
from shelfmark.tests.browser.test_pages import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What Django's own admin scripts and styles cause, not the project's configuration: Select2's
# search box (the author autocomplete) names itself by its selection, empty on a new row;
# SelectFilter2 (the subjects' two lists) puts aria-describedby on a tooltip; the admin's
# stylesheet shows breadcrumb links by colour alone.
DJANGOS_OWN = (
    "aria-input-field-name (serious)",
    "aria-prohibited-attr (serious)",
    "link-in-text-block (serious)",
)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_the_admins_book_pages_pass_axe(browser, live_server, viewport):
    login("cataloguer", is_staff=True, is_superuser=True)
    book = BookFactory(title="Middlemarch", authors=["George Eliot"], subjects=["Fiction"])
    CopyFactory(book=book, barcode="B-0001")
    page = open_page(browser, live_server, viewport=viewport)
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("cataloguer")
    page.locator("input[name=password]").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/")
    problems = []
    for name, path in (
        ("Books", "/admin/catalog/book/"),
        ("Add a book", "/admin/catalog/book/add/"),
        ("Change a book", f"/admin/catalog/book/{book.pk}/change/"),
    ):
        page.goto(path)
        page.wait_for_load_state()
        problems += [
            f"{name}: {problem}"
            for problem in axe_problems(page)
            if not problem.startswith(DJANGOS_OWN)
        ]
    assert not problems, "\n".join(problems)
