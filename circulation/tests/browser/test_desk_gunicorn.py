"""The desk's scanner bursts on the production server: gunicorn with two worker processes on
PostgreSQL, where consecutive scans land on different processes and every answer crosses a real
socket. The same bursts as test_desk_queue.py (which runs them on the test runner's live
server), checked from outside: the database's loans and events, the browser's traffic."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import global_settings

from circulation.tests.browser.helpers import expect
from circulation.tests.browser.test_desk_queue import (
    ROWS,
    SETTLED_MS,
    Network,
    Traffic,
    assert_lent_once_each,
    assert_nothing_left_in_storage,
    codes_shown,
    copies,
    open_desk,
    patron,
    scan,
    settled,
)
from shelfmark.testing.browser import open_page
from shelfmark.testing.servers import gunicorn

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def production_page(browser: Any, transactional_db: Any, settings: Any) -> Iterator[Any]:
    """A page of the site as gunicorn (two workers) serves it on the test database."""
    # The server runs the real settings, which do not know the tests' fast password hasher:
    # the desk's login is hashed as production hashes it.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    with gunicorn(workers=2) as url:
        page = open_page(browser, SimpleNamespace(url=url))
        try:
            yield page
        finally:
            page.context.close()


@pytest.mark.parametrize("attempt", range(2))
def test_a_burst_of_a_card_and_fifty_copies_on_gunicorn(production_page, attempt):
    page = production_page
    ada = patron("CARD-1", "Ada Reader")
    barcodes = copies("G", 50)
    traffic = Traffic(page.context)
    open_desk(page)

    scan(page, ["CARD-1", *barcodes])

    expect()(page.locator(ROWS)).to_have_count(51)
    settled(page)
    expect()(page.locator(f"{ROWS}.ok")).to_have_count(50)
    expect()(page.locator("table.lines")).not_to_contain_text("Refused")
    assert codes_shown(page) == [*reversed(barcodes), "CARD-1"]
    assert_lent_once_each(barcodes, ada)  # one loan and one checkout event per copy
    assert traffic.posted == dict.fromkeys(["CARD-1", *barcodes], 1)
    assert_nothing_left_in_storage(page)


@pytest.mark.parametrize("attempt", range(2))
def test_a_burst_through_an_outage_on_gunicorn(production_page, attempt):
    page = production_page
    ada = patron("CARD-1", "Ada Reader")
    barcodes = copies("G", 50)
    traffic = Traffic(page.context)
    network = Network(page)
    open_desk(page)
    scan(page, ["CARD-1"])
    expect()(page.locator(".patron-name")).to_have_text("Ada Reader")

    network.mode = "refused"
    scan(page, barcodes[:20])
    expect()(page.locator(".desk-waiting")).to_contain_text("20 scans waiting for the server")
    network.mode = "answer lost"
    scan(page, barcodes[20:35])
    expect()(page.locator(f"{ROWS}.ok")).to_have_count(5, timeout=SETTLED_MS)
    network.mode = "up"
    scan(page, barcodes[35:])

    settled(page)
    expect()(page.locator(f"{ROWS}.ok")).to_have_count(50)
    expect()(page.locator("table.lines")).not_to_contain_text("Refused")
    assert codes_shown(page) == [*reversed(barcodes), "CARD-1"]
    assert_lent_once_each(barcodes, ada)
    assert len(network.lost) >= 5
    assert set(network.lost) <= traffic.replayed  # sent again with their keys: kept answers
    assert_nothing_left_in_storage(page)
