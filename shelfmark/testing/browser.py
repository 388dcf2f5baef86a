"""Browser tests: Playwright drives Debian's chromium (apt's /usr/bin/chromium; Playwright never
downloads a browser here) against pytest-django's live server. The ``browser`` and ``page``
fixtures (the repository's conftest.py) are built from these.

Without chromium they are skipped, visibly and counted. CI installs it (.ci/run) and sets
SHELFMARK_BROWSER_TESTS=required, which turns that skip into a failure, so a CI run can never
pass with the browser tests quietly left out.

``axe_problems`` runs axe-core, the accessibility engine, in a page. Its script comes from the
``axe-playwright-python`` package (a dev dependency, locked with a hash like everything else, so
no test fetches anything); we only take the script from it and read the results ourselves.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # Playwright is a dev dependency: the module imports without it
    from playwright.sync_api import Browser, Page, ViewportSize

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
# A phone held upright (an iPhone 12 to 15's CSS pixels): the narrowest screen the site is for.
PHONE: ViewportSize = {"width": 390, "height": 844}
# A laptop's window: where the desk and the staff pages are mostly used.
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
# What the accessibility checks fail on; "moderate" and "minor" findings are reported by axe but
# are advice, not barriers.
AXE_FAILING_IMPACTS = ("serious", "critical")


def require_chromium() -> None:
    """Skip the test without chromium, or fail it where browser tests are required (CI)."""
    if not Path(CHROMIUM).exists():
        reason = f"No chromium at {CHROMIUM}: install it with `apt-get install -y chromium`."
        if os.environ.get("SHELFMARK_BROWSER_TESTS") == "required":
            pytest.fail(f"{reason} SHELFMARK_BROWSER_TESTS=required: browser tests may not skip.")
        pytest.skip(reason)


class SharedChromium:
    """One Playwright driver and one chromium for every browser test of a process (an xdist
    worker), started by the first and lent to each in turn: each test gets fresh contexts
    (no cookies, storage or cache from another) and its contexts are closed after it. Starting
    the driver and chromium for each test cost about 0.5 s of CPU (the 52 browser tests of the
    PostgreSQL pass: 378 core-seconds, 352 with one chromium per process).

    Between tests the driver's event loop is put aside. Playwright's sync API marks its loop as
    running in this thread between its calls, and Django refuses ORM calls from a thread with a
    running loop (SynchronousOnlyOperation), as every other test after a browser test on the
    same worker makes them; so after a test the thread's running loop is cleared, and set
    again before the next one uses the driver. Nothing of Playwright runs in between: the
    loop only runs inside its sync calls."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Browser | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextmanager
    def lent(self) -> Iterator[Browser]:
        self._resume()
        if self._browser is None or not self._browser.is_connected():
            self.stop()
            self._start()
        assert self._browser is not None
        try:
            yield self._browser
        finally:
            try:
                for context in self._browser.contexts:
                    context.close()
            except Exception:  # a crashed chromium or driver: the next test starts anew
                self.stop()
            else:
                self._set_aside()

    def stop(self) -> None:
        """Close chromium and the driver (at the end of the session, or after a crash)."""
        self._resume()
        playwright, self._playwright, self._browser, self._loop = self._playwright, None, None, None
        if playwright is not None:
            try:
                playwright.stop()
            finally:
                asyncio._set_running_loop(None)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = _launch(self._playwright)

    def _set_aside(self) -> None:
        self._loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)

    def _resume(self) -> None:
        if self._loop is not None:
            asyncio._set_running_loop(self._loop)
            self._loop = None


@contextmanager
def launched_chromium(*, extra_flags: tuple[str, ...] = ()) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright, extra_flags)
        try:
            yield browser
        finally:
            browser.close()


def _launch(playwright: Any, extra_flags: tuple[str, ...] = ()) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, *extra_flags]
    )


def open_page(
    browser: Browser,
    live_server: Any,
    *,
    javascript: bool = True,
    viewport: ViewportSize | None = None,
    locale: str | None = None,
) -> Page:
    """A page in a fresh context (no cookies) whose ``base_url`` is the live server's; in a
    window of ``viewport``'s size if given (else Playwright's 1280 by 720), in a browser set to
    ``locale``'s language (its Accept-Language) if given (else en-US)."""
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=javascript, viewport=viewport, locale=locale
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scroll)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


# The elements that reach past the window's right edge, innermost first (a wide table's cell
# rather than the table, <main> and <body>), as "tag.class" with the start of their text.
_OVERFLOWING = """() => {
    const width = window.innerWidth;
    // Past the edge itself, or its content (a word with no break) past it.
    const wide = [...document.body.querySelectorAll("*")].filter((element) => {
        const box = element.getBoundingClientRect();
        return box.right > width + 0.5 || box.left + element.scrollWidth > width + 0.5;
    });
    const innermost = wide.filter(
        (element) => !wide.some((other) => other !== element && element.contains(other))
    );
    return innermost.slice(0, 5).map((element) => {
        const classes = String(element.className).trim().split(/\\s+/).filter(Boolean);
        const name = [element.tagName.toLowerCase(), ...classes].join(".");
        return `${name} '${(element.textContent || "").trim().slice(0, 40)}'`;
    });
}"""


def overflowing_elements(page: Page) -> list[str]:
    """What makes a page wider than its window: the innermost elements past its right edge."""
    return list(page.evaluate(_OVERFLOWING))


def axe_problems(page: Page) -> list[str]:
    """axe-core's violations of a failing impact on the page, one line each: the rule, its
    impact, what it means and the elements (CSS selectors) that break it."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in AXE_FAILING_IMPACTS
    ]


def fake_camera_flags(video: Path) -> tuple[str, ...]:
    """Chromium's flags for a camera that films ``video`` (a Y4M file, see ``y4m_of``), with
    the camera allowed without asking."""
    return (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )


def write_y4m(image: Any, path: Path, *, frames: int = 10) -> Path:
    """``image`` (a Pillow image) as a Y4M video of ``frames`` still frames, 4:2:0 as chromium's
    fake camera reads it."""
    width, height = (image.width // 2) * 2, (image.height // 2) * 2
    y, cb, cr = image.convert("RGB").crop((0, 0, width, height)).convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path
