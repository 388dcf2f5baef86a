from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from interchange.models import ImportRun
from interchange.openlibrary import client
from interchange.run_locks import run_lock
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


@pytest.fixture
def runs_alive() -> Iterator[Callable[[ImportRun], ImportRun]]:
    """Hold the lock of each run given, until the test ends, as the live process running it
    would (``interchange.run_locks``): a RUNNING row no process holds is a run whose worker
    ended, which its page calls stalled and ``recover_imports`` runs again."""
    with contextlib.ExitStack() as stack:

        def hold(run: ImportRun) -> ImportRun:
            assert stack.enter_context(run_lock(run.pk)), f"run {run.pk} is held elsewhere"
            return run

        yield hold
