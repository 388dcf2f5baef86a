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
stops it. An error in the reader is raised in the caller.
"""

from __future__ import annotations

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

# What the reader makes of a batch of records before the database sees it (checking the
# rules): the items handed over. Must touch no database.
Prepare = Callable[[list[Any]], list[Any]]

# Files at least this big are read in a process (when one can be forked): about 6,000 rows of
# CSV, a few seconds of work, against a fork's tens of milliseconds.
PROCESS_MIN_BYTES = 1 << 20
# How long the caller waits for a batch before it checks that the reader process still lives.
_POLL_SECONDS = 1.0


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
        args=(source, size, prepare, sending),
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
        receiving.close()
        if reader.is_alive():
            reader.terminate()
        reader.join()


def _stopped(reader: BaseProcess) -> ReaderStopped:
    reader.join(timeout=5)  # the pipe may close before the process is seen to end
    return ReaderStopped(f"The import's reader process stopped (exit code {reader.exitcode}).")


def _reader_process(source: Readable, size: int, prepare: Prepare, sending: Connection) -> None:
    # Ctrl-C reaches the whole process group: stopping is the parent's call, which ends this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # ``send`` waits while the parent has not taken the batch before: at most one batch
        # waits, one is being prepared.
        for batch in _batches(source, size, prepare):
            sending.send(batch)
        sending.send(None)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent has stopped reading
    except BaseException as error:  # handed over, raised in the parent
        sending.send(_portable(error))


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
