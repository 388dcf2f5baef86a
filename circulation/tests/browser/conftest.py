"""The browser tests' fixtures (``browser``, ``page``) are the whole suite's, in the repository's
conftest.py, built from shelfmark/testing/browser.py; ``open_page`` is imported from there."""

from __future__ import annotations

from shelfmark.testing.browser import open_page

__all__ = ["open_page"]
