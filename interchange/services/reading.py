"""Reading an import file ahead of the database: the next batches are parsed and checked while
the database writes this one.

Parsing and checking a record costs about as much as writing it, so an import that did both in
turn would leave one of the machine's cores idle. ``read_ahead`` hands the batches over from a
reader that runs beside the caller:

- a process of its own (forked), for big files: with its own interpreter it runs truly in
  parallel with the writing one (100,000 bench rows took 27 s, against 33 s with a thread);
- a thread, for small files (a fork costs more than it saves) and where forking is unsafe: a
  process that runs other threads (the website's worker) could fork a copy of a lock one of
  them holds, and deadlock in the child.

Either way the reader touches no database, and leaving early (Ctrl-C, --strict, an error)
stops it. An error in the reader is raised in the caller. The reader works in the caller's
language (a thread starts in none): the problems it finds are words for the report.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from django.utils import translation

# What the reader makes of a batch of records before the database sees it (checking the
# rules): the items handed over. Must touch no database.
Prepare = Callable[[list[Any]], list[Any]]

# Files at least this big are read in a process (when one can be forked): about 6,000 rows of
# CSV, a few seconds of work, against a fork's tens of milliseconds.
PROCESS_MIN_BYTES = 1 << 20
# How long the caller waits for a batch before it checks that the reader process still lives.
_POLL_SECONDS = 1.0
# How long a reader process that was told to stop (SIGTERM) may take before it is killed.
_STOP_SECONDS = 5.0


class Readable(Protocol):
    """What the reader needs of a source (``interchange.records.Source``, a patron file)."""

    @property
    def size(self) -> int | None: ...

    @property
    def bytes_read(self) -> int: ...

    def records(self) -> Iterator[Any]: ...


@dataclass(frozen=True, slots=True)
class Batch:
    # What ``prepare`` made of the records. Sent from a process they are pickled: the fewer and
    # plainer (tuples, dicts), the cheaper.
    items: list[Any]
    bytes_read: int  # the reader's place in the file after this batch, for progress


def read_ahead(source: Readable, size: int, prepare: Prepare) -> Generator[Batch, None, None]:
    """``source``'s records in batches of ``size``, as ``prepare`` makes them, read and
    prepared ahead by a reader beside the caller (the module docstring says which)."""
    if _may_fork() and (source.size or 0) >= PROCESS_MIN_BYTES:
        return _read_in_process(source, size, prepare)
    return _read_in_thread(source, size, prepare)


def _may_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _batches(source: Readable, size: int, prepare: Prepare) -> Iterator[Batch]:
    records = source.records()
    while batch := list(itertools.islice(records, size)):
        yield Batch(prepare(batch), source.bytes_read)


# --- In a process -----------------------------------------------------------------------------


class ReaderStopped(RuntimeError):
    """The reader process ended without a word (killed, out of memory)."""


def _read_in_process(source: Readable, size: int, prepare: Prepare) -> Generator[Batch, None, None]:
    # Forked, not spawned: the child has the opened source and ``prepare`` as they are here.
    fork = multiprocessing.get_context("fork")
    receiving, sending = fork.Pipe(duplex=False)
    reader = fork.Process(
        target=_reader_process,
        args=(source, size, prepare, sending, receiving, translation.get_language()),
        name="import-reader",
        daemon=True,
    )
    reader.start()
    sending.close()  # the child's end: with it closed here, the child's exit is seen as EOF
    try:
        while True:
            while not receiving.poll(_POLL_SECONDS):
                if not reader.is_alive():
                    raise _stopped(reader)
            try:
                item = receiving.recv()
            except EOFError:  # the pipe closed with the process
                raise _stopped(reader) from None
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # The child holds no copy of the receiving end, so closing ours breaks a ``send`` it is
        # blocked in. Whatever it does, it is gone within the deadline: SIGTERM, then SIGKILL.
        receiving.close()
        _end(reader)


def _end(reader: BaseProcess) -> None:
    if reader.is_alive():
        reader.terminate()
        reader.join(timeout=_STOP_SECONDS)
    if reader.is_alive():
        reader.kill()
    reader.join(timeout=_STOP_SECONDS)


def _stopped(reader: BaseProcess) -> ReaderStopped:
    reader.join(timeout=5)  # the pipe may close before the process is seen to end
    return ReaderStopped(f"The import's reader process stopped (exit code {reader.exitcode}).")


def _reader_process(
    source: Readable,
    size: int,
    prepare: Prepare,
    sending: Connection,
    receiving: Connection,
    language: str | None,
) -> None:
    # The parent's end, inherited by the fork: closed at once, so that the parent closing its
    # own breaks a ``send`` this process is blocked in (a pipe breaks when no reader is left).
    receiving.close()
    # Stopping is the parent's call. Ctrl-C reaches the whole process group: ignored here. A
    # SIGTERM ends this process outright, whatever handler the parent had installed (a
    # worker's, inherited by the fork, would raise SystemExit here and try to send it).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        # ``send`` waits while the parent has not taken the batch before: at most one batch
        # waits, one is being prepared. In the parent's language: the problems are words.
        with translation.override(language):
            for batch in _batches(source, size, prepare):
                sending.send(batch)
        sending.send(None)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent has stopped reading
    except Exception as error:  # handed over, raised in the parent
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sending.send(_portable(error))
    # Anything else (SystemExit, KeyboardInterrupt) is a stop: nothing more is sent.


def _portable(error: BaseException) -> BaseException:
    """``error`` as the parent will get it: with the reader's traceback as a note, or, when it
    cannot be pickled, as a RuntimeError that says what it was."""
    error.add_note("In the import's reader process:\n" + "".join(traceback.format_exception(error)))
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, just made
    except Exception:
        stand_in = RuntimeError(f"{type(error).__name__}: {error}")
        stand_in.__notes__ = error.__notes__
        return stand_in
    return error


# --- In a thread ------------------------------------------------------------------------------


def _read_in_thread(source: Readable, size: int, prepare: Prepare) -> Generator[Batch, None, None]:
    """The thread holds the interpreter only while the caller waits for the database."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()
    language = translation.get_language()
    end = object()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            # In the caller's language (a thread starts in none): the problems are words.
            with translation.override(language):
                for batch in _batches(source, size, prepare):
                    if not put(batch):
                        return
            put(end)
        except BaseException as error:  # handed over, raised in the caller
            put(error)

    reader = threading.Thread(target=read, name="import-reader", daemon=True)
    reader.start()
    try:
        while (item := handoff.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join(timeout=5)
