from __future__ import annotations

from pathlib import Path

import pytest

from interchange.formats import open_catalog_source

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def read():
    """Opens a file of tests/data and returns (source, records)."""

    def read(name: str, **options):
        with (DATA / name).open("rb") as file:
            source = open_catalog_source(file, **options)
            return source, list(source.records())

    return read
