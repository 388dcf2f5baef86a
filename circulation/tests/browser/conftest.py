"""Browser tests: Playwright drives Debian's chromium (apt's /usr/bin/chromium; Playwright never
downloads a browser here) against pytest-django's live server.

Without chromium they are skipped, visibly and counted. CI installs it (.ci/run) and sets
SHELFMARK_BROWSER_TESTS=required, which turns that skip into a failure, so a CI run can never
pass with the browser tests quietly left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = os.environ.get("SHELFMARK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # talk to the live server only
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(live_server, monkeypatch) -> Iterator[Any]:
    """Debian's chromium under Playwright, for one test."""
    if not Path(CHROMIUM).exists():
        reason = f"No chromium at {CHROMIUM}: install it with `apt-get install -y chromium`."
        if os.environ.get("SHELFMARK_BROWSER_TESTS") == "required":
            pytest.fail(f"{reason} SHELFMARK_BROWSER_TESTS=required: browser tests may not skip.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    # from a thread with a running loop; the test body's are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()
            # The test body's queries ran beside Playwright's event loop, where Django keeps
            # another connection than the test's; close it, or it outlives the test database.
            connections.close_all()


def open_page(browser: Any, live_server: Any, *, javascript: bool = True) -> Any:
    """A page in a fresh context (no cookies) whose ``base_url`` is the live server's."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser, live_server) -> Any:
    return open_page(browser, live_server)
