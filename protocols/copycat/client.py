"""Searching other catalogs over SRU (searchRetrieve, CQL, MARCXML) and Z39.50, all at once.

- **One deadline for the search.** Each target is asked in a helper thread on a connection of
  its own; the caller waits for them all until one deadline (``DEFAULT_SECONDS``), then closes
  the connections of those still going and says, for each, that it did not answer in time. The
  helper thread also checks the deadline after every chunk it reads, so a server dripping
  bytes is given up on too (httpx's timeouts bound each read, never a whole answer).
- **Trust nothing.** No redirect is followed (the target's URL is configured: a redirect means
  it moved, which the message says); answers are capped in bytes; XML with a document type is
  refused (SRU never needs one, and it is how entity tricks start).
- **Z39.50** targets are asked through yaz's ZOOM shell (``z3950``), each in a process killed
  at the same deadline; their MARCXML records are read as SRU's are.
- **A clear message per target.** A target that cannot be reached, answers an HTTP error, not
  XML, not SRU, or an SRU diagnostic gets its own message; the other targets' results still
  show. A record that cannot be used (not MARC 21, a surrogate diagnostic, refused by the
  import's rules) is listed with the reason, without "Use this record".
- **The records as the import will read them.** Each MARCXML record is read by the MARC import's
  own reader (``interchange.marc.xml``) and checked by the import's rules
  (``catalog.services.bulk.books_check``, no database), so what the page shows is what "Use this
  record" will import. The other library's holdings (852, 876, 952: their barcodes and
  shelves) are taken out first: they are not our copies.

The helper threads only fetch bytes; reading the answers happens in the caller's thread, where
the request's language is active (Django's active language is per thread).
"""

from __future__ import annotations

import io
import logging
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from django.utils.translation import gettext as _

from catalog.services.bulk import books_check
from interchange.marc.mapping import READ_FROM
from interchange.marc.xml import MARC_NAMESPACE, MarcXmlSource
from interchange.openlibrary.client import user_agent
from interchange.records import BookRecord, SourceError
from protocols.copycat.targets import SearchBy, Target, isbn_forms
from protocols.copycat.z3950 import ZoomError, ZoomFetch, ZoomshMissing, pqf_query, read_output

logger = logging.getLogger(__name__)

# How many records each target is asked for: a page of candidates, not a harvest.
MAX_RECORDS = 10
# An answer of ten MARCXML records is tens of kilobytes; a few megabytes means something else.
MAX_BYTES = 4 * 1024 * 1024
DEFAULT_SECONDS = 8.0  # under the web worker's 30 s timeout, with room for the import after

# The fields that hold a library's holdings (the MARC reader makes copies of them): the other
# library's, so never imported as ours.
HOLDING_TAGS = frozenset(tag for tag, read in READ_FROM.items() if set(read.values()) == {"copies"})

# Tests install an httpx.MockTransport here; no test reaches the network.
TRANSPORT: httpx.BaseTransport | None = None


@dataclass(frozen=True)
class FoundRecord:
    position: int  # in the target's result list, from 1
    title: str = ""
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    year: str = ""
    publisher: str = ""
    isbn: str = ""
    # The record as MARCXML (UTF-8), the other library's holdings taken out; b"" when unusable.
    marcxml: bytes = b""
    problem: str = ""  # why it cannot be used, for a person; "" when it can


@dataclass(frozen=True)
class TargetResult:
    target: Target
    records: list[FoundRecord] = field(default_factory=list)
    total: int | None = None  # how many the target found (it sends at most MAX_RECORDS)
    problem: str = ""  # why the target gave no results, for a person; "" when it answered


class _Failed(Exception):
    """A target's trouble, already worded for a person (in the caller's thread)."""


@dataclass
class _Fetch:
    """One target's request, run by a helper thread: the body, or the error that stopped it."""

    target: Target
    params: dict[str, str]
    stop_at: float
    http: httpx.Client
    status: int = 0
    location: str = ""
    body: bytes | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.http.close()  # ends a read still going on at the deadline

    def run(self) -> None:
        try:
            with self.http.stream("GET", self.target.url, params=self.params) as response:
                self.status = response.status_code
                self.location = response.headers.get("Location", "")
                if response.status_code == 200:
                    self.body = _read(response, stop_at=self.stop_at)
        except BaseException as error:  # handed to the caller, which words it
            self.error = error
        finally:
            self.done.set()


def cql_query(target: Target, search_by: SearchBy, term: str) -> str:
    """The CQL query for ``term`` in the target's index for ``search_by``: the term quoted,
    its quotes and backslashes escaped; CQL's masking characters (* ? ^) become spaces, since
    a title's "?" would otherwise be read as a wildcard, and servers differ in escaping them.
    An ISBN-13 (as the form gives it) is asked for in its ISBN-10 form too, where it has one:
    records older than 2007 often hold only that, and not every catalog's index converts."""
    index = target.index_for(search_by)
    if search_by is SearchBy.ISBN:
        return " or ".join(f'{index}="{_quoted(isbn)}"' for isbn in isbn_forms(term))
    return f'{index}="{_quoted(term)}"'


def _quoted(term: str) -> str:
    cleaned = " ".join(term.translate(str.maketrans("*?^", "   ")).split())
    return cleaned.replace("\\", "\\\\").replace('"', '\\"')


def search(
    targets: Sequence[Target], search_by: SearchBy, term: str, *, seconds: float | None = None
) -> list[TargetResult]:
    """Each target's results for ``term``, in the order of ``targets``, all asked at once and
    waited for until one deadline (``seconds``, else DEFAULT_SECONDS)."""
    seconds = seconds or DEFAULT_SECONDS
    stop_at = time.monotonic() + seconds
    fetches: list[_Fetch | ZoomFetch] = [
        ZoomFetch(target, pqf_query(target, search_by, term), MAX_RECORDS, stop_at)
        if target.protocol == "z3950"
        else _Fetch(target, _parameters(target, search_by, term), stop_at, _http_client(seconds))
        for target in targets
    ]
    for fetch in fetches:
        threading.Thread(target=fetch.run, name="copycat-search", daemon=True).start()
    try:
        for fetch in fetches:
            fetch.done.wait(max(0.0, stop_at - time.monotonic()))
    finally:
        for fetch in fetches:
            fetch.close()  # a search still going on at the deadline ends
    return [_result(fetch, seconds) for fetch in fetches]


def _parameters(target: Target, search_by: SearchBy, term: str) -> dict[str, str]:
    parameters = {
        "operation": "searchRetrieve",
        "version": target.version,
        "query": cql_query(target, search_by, term),
        "maximumRecords": str(MAX_RECORDS),
        "recordSchema": target.schema,
    }
    # Records as XML inside the answer, not as escaped strings (SRU 2.0 renamed the parameter).
    if target.version == "2.0":
        parameters["recordXMLEscaping"] = "xml"
    else:
        parameters["recordPacking"] = "xml"
    return parameters


def _http_client(seconds: float) -> httpx.Client:
    return httpx.Client(
        transport=TRANSPORT,
        headers={"User-Agent": user_agent(), "Accept": "application/xml, text/xml"},
        timeout=httpx.Timeout(seconds),
        follow_redirects=False,
    )


def _read(response: httpx.Response, *, stop_at: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise _TooLarge
    body = bytearray()
    for chunk in response.iter_bytes():
        if time.monotonic() > stop_at:
            raise httpx.ReadTimeout("The answer was still coming at the deadline.")
        body += chunk
        if len(body) > MAX_BYTES:
            raise _TooLarge
    return bytes(body)


class _TooLarge(Exception):
    pass


def _result(fetch: _Fetch | ZoomFetch, seconds: float) -> TargetResult:
    try:
        if isinstance(fetch, ZoomFetch):
            return _zoom_result(fetch, seconds)
        body = _body_of(fetch, seconds)
        return read_answer(fetch.target, body)
    except _Failed as failure:
        return TargetResult(fetch.target, problem=str(failure))
    except Exception:
        # What the outside sends must never become a 500: the page says this target's answer
        # could not be read, the log keeps why, and the other targets' results still show.
        logger.exception("Copy cataloguing: %s's answer could not be read", fetch.target.key)
        return TargetResult(fetch.target, problem=str(_("Its answer could not be read.")))


def _timed_out(seconds: float) -> _Failed:
    return _Failed(
        _("It did not answer within %(seconds)s seconds; try again later.")
        % {"seconds": f"{seconds:g}"}
    )


def _unreachable() -> _Failed:
    # Refused, no such host, TLS trouble, a broken answer: the address is configured, so the
    # next step is to check it (or wait, when the catalog is down for a while).
    return _Failed(
        _("It could not be reached; check its address in the settings, or try again later.")
    )


def _body_of(fetch: _Fetch, seconds: float) -> bytes:
    if not fetch.done.is_set() or isinstance(fetch.error, httpx.TimeoutException):
        raise _timed_out(seconds)
    if isinstance(fetch.error, _TooLarge):
        raise _Failed(_("Its answer was too large to be search results."))
    if fetch.error is not None:
        raise _unreachable()
    if 300 <= fetch.status < 400:
        raise _Failed(
            _("It answered with a redirect to %(location)s: its address has changed.")
            % {"location": fetch.location or "?"}
        )
    if fetch.status != 200 or fetch.body is None:
        raise _Failed(
            _("It answered with HTTP status %(status)s instead of search results; try again later.")
            % {"status": fetch.status}
        )
    return fetch.body


def _zoom_result(fetch: ZoomFetch, seconds: float) -> TargetResult:
    if not fetch.done.is_set() or isinstance(fetch.error, subprocess.TimeoutExpired):
        raise _timed_out(seconds)
    if isinstance(fetch.error, ZoomshMissing):
        raise _Failed(
            _(
                "Z39.50 needs the ZOOM shell of the yaz package on the server (Debian: apt "
                "install yaz); ask whoever runs it."
            )
        )
    if fetch.error is not None or fetch.body is None:
        raise _unreachable()
    try:
        total, chunks = read_output(fetch.body)
    except ZoomError as error:
        if "(ZOOM:10000)" in str(error):  # ZOOM's "Connect failed"
            raise _unreachable() from None
        if "(ZOOM:10007)" in str(error):  # ZOOM's own timeout, set to the same deadline
            raise _timed_out(seconds) from None
        raise _Failed(_("It refused the search: %(reason)s") % {"reason": error}) from None
    records = []
    for position, chunk in enumerate(chunks, start=1):
        try:
            if b"<!doctype" in chunk[:4096].lower():
                raise ET.ParseError("a document type")
            element = ET.fromstring(chunk)  # noqa: S314 - no DTD (refused above)
        except ET.ParseError:
            records.append(
                FoundRecord(position, problem=_("The catalog sent this record in a broken form."))
            )
            continue
        records.append(_found_record(position, element))
    return TargetResult(fetch.target, records, total)


# --- Reading an answer ------------------------------------------------------------------------


def read_answer(target: Target, body: bytes) -> TargetResult:
    """A searchRetrieve response (SRU 1.1, 1.2 or 2.0) -> the target's result; ``_Failed``
    when it is not one, or holds a diagnostic instead of records."""
    not_sru = _Failed(_("Its answer is not an SRU search response; check its address."))
    if b"<!doctype" in body[:4096].lower():
        raise not_sru
    try:
        root = ET.fromstring(body)  # noqa: S314 - no DTD (refused above); expat limits entities
    except ET.ParseError:
        raise _Failed(_("Its answer is not XML, so not SRU; check its address.")) from None
    if _local(root.tag) != "searchRetrieveResponse":
        raise not_sru
    diagnostic = _child(_child(root, "diagnostics"), "diagnostic")
    if diagnostic is not None:
        raise _Failed(_("It refused the search: %(reason)s") % {"reason": _diagnostic(diagnostic)})
    total_text = _text(_child(root, "numberOfRecords"))
    total = int(total_text) if total_text.isdigit() else None
    records = []
    holder = _child(root, "records")
    for position, sru_record in enumerate(_children(holder, "record"), start=1):
        given = _text(_child(sru_record, "recordPosition"))
        records.append(
            _found(int(given) if given.isdigit() else position, _child(sru_record, "recordData"))
        )
    return TargetResult(target, records, total)


def _found(position: int, data: ET.Element | None) -> FoundRecord:
    content = _record_content(data)
    if content is None:
        return FoundRecord(position, problem=_("The record is empty."))
    return _found_record(position, content)


def _found_record(position: int, content: ET.Element) -> FoundRecord:
    """A record as the catalog sent it (MARCXML, a surrogate diagnostic, another schema)."""
    if _local(content.tag) == "diagnostic":
        return FoundRecord(
            position,
            problem=_("The catalog could not send this record: %(reason)s")
            % {"reason": _diagnostic(content)},
        )
    if _local(content.tag) != "record" or _namespace(content.tag) not in ("", MARC_NAMESPACE):
        return FoundRecord(
            position,
            problem=_(
                "This is not a MARC 21 record (it is <%(element)s>): check the target's record "
                "schema."
            )
            % {"element": _local(content.tag)},
        )
    for holding in [
        child
        for child in content
        if _local(child.tag) == "datafield" and child.get("tag") in HOLDING_TAGS
    ]:
        content.remove(holding)
    marcxml = marcxml_of(content)
    book, problem = read_record(marcxml)
    if book is None:
        return FoundRecord(position, problem=problem)
    return FoundRecord(
        position,
        title=book.title,
        subtitle=book.subtitle,
        authors=tuple(book.authors),
        year=book.year,
        publisher=book.publisher,
        isbn=book.isbn,
        marcxml=b"" if problem else marcxml,
        problem=problem,
    )


def read_record(marcxml: bytes) -> tuple[BookRecord | None, str]:
    """One MARCXML record as the import reads and checks it: (the book, "") when it can be
    imported; (the book, the first reason) when the reader or the rules refuse it; (None, the
    reason) when it cannot be read at all."""
    try:
        books = list(MarcXmlSource(io.BytesIO(marcxml), encoding=None, size=len(marcxml)).records())
    except SourceError as error:
        return None, str(error)
    if not books:
        return None, _("The record is empty.")
    book = books[0]
    verdict = books_check([book])[0]
    # The reader's problems, then the rules' (two Problem types of the same shape).
    problems = [(problem.field, problem.reason) for problem in book.problems]
    if isinstance(verdict, list):
        problems += [(problem.field, problem.reason) for problem in verdict]
    if problems:
        name, reason = problems[0]
        return book, (f"{name}: {reason}" if name else str(reason))
    return book, ""


def marcxml_of(record: ET.Element) -> bytes:
    """A MARCXML record element as a document of its own, in UTF-8. (ElementTree writes the
    MARC namespace with a prefix, "ns0:record": the same names to any XML reader; it cannot
    make it the default namespace while the attributes have none.)"""
    return ET.tostring(record, encoding="utf-8")


def _record_content(data: ET.Element | None) -> ET.Element | None:
    if data is None:
        return None
    for child in data:
        return child
    # recordPacking "string": the record as escaped text, which a server may send regardless.
    text = (data.text or "").strip()
    if text.startswith("<") and "<!doctype" not in text[:4096].lower():
        try:
            return ET.fromstring(text)  # noqa: S314 - no DTD (refused above)
        except ET.ParseError:
            return None
    return None


def _diagnostic(element: ET.Element) -> str:
    message = _text(_child(element, "message"))
    details = _text(_child(element, "details"))
    uri = _text(_child(element, "uri"))
    number = uri.rsplit("/", 1)[-1] if uri.startswith("info:srw/diagnostic/") else uri
    described = ": ".join(part for part in (message, details) if part) or _("no reason given")
    return f"{described} ({number})" if number else described


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if parent is None else [child for child in parent if _local(child.tag) == name]


def _child(parent: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(parent, name)
    return found[0] if found else None


def _text(element: ET.Element | None) -> str:
    return "" if element is None else (element.text or "").strip()
