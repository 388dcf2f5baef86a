"""Stocktakes under concurrent use, on PostgreSQL: two staff scanning into one stocktake at
the same moment, and a scan racing the close (no scan may land in a closed stocktake)."""

from __future__ import annotations

import pytest

from catalog.tests.factories import BookFactory, CopyFactory
from shelfmark.testing.races import api_call, race
from stocktake.models import Stocktake, StocktakeScan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 15


def test_two_staff_scan_into_one_stocktake_at_once(staff_user):
    book = BookFactory()
    for n in range(2 * ROUNDS):
        CopyFactory(book=book, barcode=f"R-{n}")
    stocktake = Stocktake.objects.create(name="Both ends of the shelf")
    url = f"/api/v1/stocktakes/{stocktake.pk}/scans/"
    for n in range(ROUNDS):
        outcomes = race(
            api_call(staff_user, "POST", url, {"barcode": f"R-{2 * n}"}),
            api_call(staff_user, "POST", url, {"barcode": f"R-{2 * n + 1}"}),
        )
        assert outcomes == [201, 201]
    assert StocktakeScan.objects.filter(stocktake=stocktake, outcome="seen").count() == 2 * ROUNDS


def test_no_scan_lands_in_a_closed_stocktake(staff_user):
    CopyFactory(barcode="C-1")
    for _ in range(ROUNDS):
        stocktake = Stocktake.objects.create(name="Closing time")
        base = f"/api/v1/stocktakes/{stocktake.pk}/"
        scans = [
            api_call(staff_user, "POST", f"{base}scans/", {"barcode": "C-1"}) for _ in range(3)
        ]
        outcomes = race(*scans, api_call(staff_user, "POST", f"{base}close/"))
        assert outcomes[-1] == 200
        assert set(outcomes[:-1]) <= {201, 409}, outcomes
        stocktake.refresh_from_db()
        recorded = StocktakeScan.objects.filter(stocktake=stocktake)
        assert recorded.count() == outcomes[:-1].count(201)
        assert not recorded.filter(scanned_at__gt=stocktake.closed_at).exists()
