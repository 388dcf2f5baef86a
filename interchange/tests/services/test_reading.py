"""interchange.services.reading: batches read ahead in a process (big files) or a thread."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.models import Book, Copy
from interchange.formats import open_catalog_source
from interchange.models import ImportRun
from interchange.records import SourceError
from interchange.services import imports, reading

DATA = Path(__file__).resolve().parent.parent / "data"
needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork"), reason="reading in a process needs fork (Linux, macOS)"
)


class NumberSource:
    """Numbers as records; ``fail_at`` raises ``error`` when that record is reached."""

    format: str = "csv"
    encoding: str | None = "utf-8"
    mapping: dict[str, str] = {}

    def __init__(self, count: int, *, size: int, fail_at: int = -1, error: Exception | None = None):
        self.count, self.size, self.fail_at, self.error = count, size, fail_at, error
        self.bytes_read = 0

    def records(self) -> Iterator[int]:
        for number in range(self.count):
            if number == self.fail_at and self.error is not None:
                raise self.error
            self.bytes_read += 10
            yield number


class Unpicklable(Exception):
    def __init__(self, message: str, handle: object):
        super().__init__(message)
        self.handle = handle

    def __reduce__(self):
        raise TypeError("cannot pickle a file handle")


@pytest.fixture
def in_a_process(monkeypatch):
    """Every source is read in a process, whatever its size (pytest may run threads of its
    own, which would otherwise choose a thread)."""
    monkeypatch.setattr(reading, "_may_fork", lambda: True)
    monkeypatch.setattr(reading, "PROCESS_MIN_BYTES", 0)


def doubled(records: list[int]) -> list[int]:
    return [2 * number for number in records]


def read_all(source, size=4, prepare=doubled) -> list[reading.Batch]:
    return list(reading.read_ahead(source, size, prepare))


@needs_fork
def test_a_process_hands_over_the_same_batches_as_a_thread(in_a_process):
    from_process = read_all(NumberSource(10, size=100))

    assert [b.items for b in from_process] == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]
    assert [b.bytes_read for b in from_process] == [40, 80, 100]


def test_small_files_are_read_in_a_thread(monkeypatch):
    def no_process(*args):
        raise AssertionError("a small file was read in a process")

    monkeypatch.setattr(reading, "_may_fork", lambda: True)
    monkeypatch.setattr(reading, "_read_in_process", no_process)

    batches = read_all(NumberSource(10, size=reading.PROCESS_MIN_BYTES - 1))

    assert [b.items for b in batches] == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]


def test_a_thread_is_used_where_other_threads_run(monkeypatch):
    monkeypatch.setattr(reading.threading, "active_count", lambda: 2)

    assert not reading._may_fork()


@needs_fork
def test_the_readers_error_is_raised_with_its_traceback(in_a_process):
    source = NumberSource(10, size=100, fail_at=6, error=SourceError("Line 7 is not text."))
    batches = reading.read_ahead(source, 4, doubled)

    assert next(batches).items == [0, 2, 4, 6]
    with pytest.raises(SourceError, match="Line 7 is not text") as raised:
        next(batches)
    assert "In the import's reader process" in raised.value.__notes__[0]


@needs_fork
def test_an_error_that_cannot_travel_comes_as_a_runtime_error(in_a_process):
    source = NumberSource(3, size=100, fail_at=1, error=Unpicklable("disk gone", object()))

    with pytest.raises(RuntimeError, match="Unpicklable: disk gone"):
        read_all(source)


@needs_fork
def test_a_reader_that_dies_is_reported_not_waited_for(in_a_process):
    def die(records):
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(reading.ReaderStopped, match="exit code -9"):
        read_all(NumberSource(10, size=100), prepare=die)


@needs_fork
def test_leaving_early_stops_the_reader_process(in_a_process, monkeypatch):
    started = []
    real_process = reading.multiprocessing.get_context("fork").Process

    def recording_process(*args, **kwargs):
        process = real_process(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(reading.multiprocessing.get_context("fork"), "Process", recording_process)
    batches = reading.read_ahead(NumberSource(100_000, size=100), 4, doubled)

    assert next(batches).items == [0, 2, 4, 6]
    batches.close()

    assert not started[0].is_alive()


@needs_fork
@pytest.mark.django_db
def test_an_import_read_in_a_process_is_the_import_read_in_a_thread(in_a_process):
    run = ImportRun.objects.create(source_name="goodreads.csv")
    with (DATA / "goodreads_library_export.csv").open("rb") as file:
        imports.catalog_import(open_catalog_source(file), run)

    run.refresh_from_db()
    assert (run.records, run.created, run.failed) == (13, 12, 1)
    assert run.bytes_read == (DATA / "goodreads_library_export.csv").stat().st_size
    assert Book.objects.count() == 12
    assert list(run.problems.values_list("number", "field")) == [(7, "isbn")]
    assert Copy.objects.count() == 0


class BigSource(NumberSource):
    """Records big enough that a batch fills the pipe: the reader blocks in ``send``."""

    def records(self) -> Iterator[bytes]:  # type: ignore[override]  # bytes, not numbers
        for _number in range(self.count):
            self.bytes_read += 100_000
            yield b"x" * 100_000


@needs_fork
@pytest.mark.django_db(transaction=True)
def test_leaving_early_after_the_worker_ran_stops_a_reader_blocked_on_a_full_pipe(in_a_process):
    """The order that once hung the suite for good: a test ran django-tasks' ``db_worker``,
    which leaves its SIGTERM handler (raising SystemExit) installed; then an import left early
    while its reader was blocked sending on a full pipe. The forked reader inherited the
    handler, caught the SystemExit, tried one more send and blocked again, while the parent
    waited in ``join()`` with no deadline. (The suite's autouse fixture restores the handlers
    after this test, as after every test.)"""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)  # the worker's, left

    batches = reading.read_ahead(BigSource(1_000, size=0), 4, lambda records: records)
    assert len(next(batches).items) == 4
    time.sleep(0.5)  # the reader fills the pipe meanwhile, and blocks in send()
    started = time.monotonic()
    batches.close()

    assert time.monotonic() - started < reading._STOP_SECONDS
