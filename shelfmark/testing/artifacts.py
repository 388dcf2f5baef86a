"""Screenshots of a failed browser test's pages, for whoever reads the CI run: each page still
open in the test's chromium (the ``browser`` fixture), whole, as
``test-artifacts/<test>-<n>.png`` (``SHELFMARK_ARTIFACTS`` names another folder). A pytest
plugin, loaded by the root conftest.py."""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def artifacts_folder() -> Path:
    return Path(os.environ.get("SHELFMARK_ARTIFACTS") or ROOT / "test-artifacts")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, Any]:
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.when == "call" and report.failed and browser is not None:
        saved = save_screenshots(browser, item.nodeid)
        if saved:
            report.sections.append(("screenshots", "\n".join(str(path) for path in saved)))
    return report


def save_screenshots(browser: Any, test: str) -> list[Path]:
    """Every open page of ``browser``, whole; the files written."""
    folder = artifacts_folder()
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", test).strip("-")[:150]
    saved = []
    pages = [page for context in browser.contexts for page in context.pages]
    for number, page in enumerate(pages, start=1):
        path = folder / f"{stem}-{number}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
        except Exception as error:  # a page that crashed or closed: the others still count
            print(f"No screenshot of {page.url}: {error}")
        else:
            saved.append(path)
    return saved
