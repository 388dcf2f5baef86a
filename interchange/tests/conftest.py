from __future__ import annotations

import pytest

from interchange.openlibrary import client
from interchange.tests.fakes import FakeOpenLibrary


@pytest.fixture
def media(settings, tmp_path):
    """Covers are stored in a fresh folder, not the developer's data folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def open_library(monkeypatch) -> FakeOpenLibrary:
    """Open Library, recorded: knows Pride and Prejudice (change ``routes`` for other cases)."""
    fake = FakeOpenLibrary.found()
    monkeypatch.setattr(client, "TRANSPORT", fake.transport())
    return fake
