"""Z39.50 targets, asked through ``zoomsh``, the ZOOM shell of Debian's yaz package (Index Data's
client library, which speaks Z39.50 so that we do not): one process per target and search,
which connects, searches in PQF, and prints each record as MARCXML (yaz converts MARC-8 to
UTF-8 where the record's leader says MARC-8). The process is killed at the search's deadline.

The output is zoomsh's: "<zurl>: N hits", then per record a "<n> database=… syntax=…" line and
the record; trouble is "<zurl> error: <message> (<set>:<code>) <details>".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protocols.copycat.targets import SearchBy, Target, isbn_forms

# How zoomsh shows a record: "0 database=Default syntax=USmarc schema=unknown", then the record.
_RECORD_HEADER = re.compile(rb"^\d+ database=.*$", re.MULTILINE)
_HITS = re.compile(rb"^\S+: (\d+) hits$", re.MULTILINE)
_ERROR = re.compile(rb"^\S+ error: (.*)$", re.MULTILINE)


class ZoomshMissing(Exception):
    """No zoomsh on this server."""


class ZoomError(Exception):
    """The target (or the connection to it) answered an error; the message is zoomsh's."""


def pqf_query(target: Target, search_by: SearchBy, term: str) -> str:
    """The PQF query for ``term`` (quoted; its quotes and backslashes escaped) with the target's
    attributes for ``search_by``; an ISBN-13 with its ISBN-10 form too, as in CQL."""
    attributes = target.index_for(search_by)
    terms = isbn_forms(term) if search_by is SearchBy.ISBN else [term]
    clauses = [f'{attributes} "{_quoted(one)}"' for one in terms]
    return "@or " + " ".join(clauses) if len(clauses) == 2 else clauses[0]


def _quoted(term: str) -> str:
    # One line whatever was typed: zoomsh reads each argument as a command line.
    cleaned = " ".join(term.split())
    return cleaned.replace("\\", "\\\\").replace('"', '\\"')


@dataclass
class ZoomFetch:
    """One Z39.50 search, run by a helper thread (the SRU fetch's counterpart in client.py)."""

    target: Target
    query: str
    records: int
    stop_at: float
    body: bytes | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    _process: subprocess.Popen[bytes] | None = None

    def run(self) -> None:
        try:
            self.body = self._search()
        except BaseException as error:  # handed to the caller, which words it
            self.error = error
        finally:
            self.done.set()

    def close(self) -> None:
        """Ends the search at the deadline: the process is killed if it still runs."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()

    def _search(self) -> bytes:
        program = shutil.which("zoomsh")
        if program is None:
            raise ZoomshMissing
        address = urlsplit(self.target.url)
        zurl = f"tcp:{address.hostname}:{address.port or 210}/{address.path.strip('/')}"
        seconds = max(1, int(self.stop_at - time.monotonic()))
        self._process = subprocess.Popen(  # noqa: S603 - yaz's own client; one line per argument
            [
                program,
                f"set timeout {seconds}",
                f"connect {zurl}",
                "set preferredRecordSyntax usmarc",
                f"search {self.query}",
                f"show 0 {self.records} xml; charset=marc8,utf-8",
                "quit",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            output, _ = self._process.communicate(timeout=max(0.0, self.stop_at - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise
        return output


def read_output(output: bytes) -> tuple[int | None, list[bytes]]:
    """zoomsh's output -> (the hit count, each record's MARCXML); ZoomError for an error."""
    error = _ERROR.search(output)
    if error is not None:
        raise ZoomError(error.group(1).decode("utf-8", "replace").strip())
    hits = _HITS.search(output)
    parts = _RECORD_HEADER.split(output)[1:]
    return (int(hits.group(1)) if hits else None), [part.strip() for part in parts]
