"""What the browser tests share: the desk's account, signing in, and Playwright's ``expect``
waiting as long as pages do."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

PASSWORD = "correct horse battery"
# The Librarians group's desk rights, given to the account directly: the desk's pages ask for
# these and nothing more.
DESK_PERMISSIONS = [
    "add_loan", "change_loan", "view_loan", "view_patron", "change_patron", "view_hold",
]  # fmt: skip


# How long ``expect`` waits for a condition, as long as the pages' own timeout (conftest.py):
# Playwright's default, 5 s, is short on a loaded machine.
EXPECT_TIMEOUT_MS = 15_000


def expect() -> Any:
    """Playwright's ``expect``, imported late: the tests' modules import without Playwright's
    browser."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    return playwright_expect


def login(username: str, **fields: Any) -> Any:
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def sign_in(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")


def desk_user() -> Any:
    librarian = login("librarian", is_staff=True)
    librarian.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="circulation", codename__in=DESK_PERMISSIONS
        )
    )
    return librarian
