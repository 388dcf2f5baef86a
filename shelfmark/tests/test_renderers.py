"""shelfmark.api.renderers: JSON through orjson, with DRF's encoder for everything else."""

from __future__ import annotations

import datetime
import decimal
import json

import pytest
from django.utils.translation import gettext_lazy

from shelfmark.api.renderers import OrjsonRenderer


def render(data, media_type="application/json"):
    return OrjsonRenderer().render(data, media_type)


def test_rows_render_as_json_with_times_in_utc_ending_in_z():
    moment = datetime.datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=datetime.UTC)
    body = render([{"id": 1, "title": "Brontë", "at": moment, "on": datetime.date(2024, 2, 29)}])
    assert json.loads(body) == [
        {"id": 1, "title": "Brontë", "at": "2026-12-01T09:30:05.123456Z", "on": "2024-02-29"}
    ]
    assert "Brontë".encode() in body  # UTF-8, not \\u escapes


def test_what_orjson_does_not_know_goes_through_drfs_encoder():
    body = render({"lazy": gettext_lazy("Not found."), "price": decimal.Decimal("1.50")})
    assert json.loads(body) == {"lazy": "Not found.", "price": 1.5}  # as DRF renders it


def test_the_browsable_api_gets_indented_json_and_no_content_stays_empty():
    assert render({"a": [1]}, "application/json; indent=4") == b'{\n  "a": [\n    1\n  ]\n}'
    assert render(None) == b""


@pytest.mark.django_db
def test_the_browsable_api_page_names_its_language_and_its_format_button(client):
    page = client.get("/api/v1/books/", HTTP_ACCEPT="text/html").content.decode()

    assert page.count("<html") == 1
    assert '<html lang="en">' in page
    assert 'aria-label="Formats of the GET request"' in page
