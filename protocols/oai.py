"""OAI-PMH 2.0 (the Open Archives Initiative's Protocol for Metadata Harvesting): union
catalogs and discovery layers harvest the catalog, all of it once and then what changed.

All six verbs; records as ``oai_dc`` (simple Dublin Core) or ``marc21`` (MARCXML, copies as
852/876 holdings); sets by subject (``subject``, ``subject:<id>``); ``from``/``until`` on the
record's change time, to the second; deleted records ``persistent`` (the database remembers
every deletion, catalog.DeletedBook). Every error is the protocol's own error code.

A list continues with a resumption token: the list's arguments, the key (change time, id) of
the last record sent, the cursor and the list's size, signed (a forged or damaged token is
``badResumptionToken``, never a 500). The first page fixes the list's ``until`` at its moment,
so a record edited during the harvest leaves the rest of the list unmoved and comes in the next
harvest (which starts ``from`` this one's responseDate); one deleted meanwhile still comes as
it was sent or as deleted, never skipping a neighbour.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.core import signing
from django.utils import timezone

from interchange.selectors import export_books_keyed
from protocols import harvest, records
from shelfmark.middleware import CONTROL_CHARACTER

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
XSI = records.XSI

# ElementTree cannot write a default namespace beside unqualified attributes (verb, code,
# status…), so the protocol's elements carry a prefix: the same document to any XML reader.
ElementTree.register_namespace("oai", OAI)
ElementTree.register_namespace("oai_dc", OAI_DC)


@dataclass(frozen=True)
class Format:
    schema: str
    namespace: str


FORMATS = {
    "oai_dc": Format("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "marc21": Format("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", records.MARC),
}

# Records a page: ListRecords carries the records, ListIdentifiers only their headers.
RECORDS_PER_PAGE = 100
IDENTIFIERS_PER_PAGE = 500
SETS_PER_PAGE = 500

# Each verb's arguments: those it needs, those it may have; and whether it takes a
# resumptionToken (which then must come alone).
VERBS: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {
    "Identify": (frozenset(), frozenset(), False),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), False),
    "ListSets": (frozenset(), frozenset(), True),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), False),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), True),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), True),
}

TOKEN_SALT = "protocols.oai.resumption"  # noqa: S105 - a signing salt, not a secret
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# OAI-PMH.xsd's emailType.
EMAIL = re.compile(r"\S+@(\S+\.)+\S+")


class OaiError(Exception):
    """An OAI-PMH error: its code (badArgument, idDoesNotExist, …) and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def respond(parameters: Mapping[str, Sequence[str]], *, base_url: str) -> bytes:
    """The XML answer to an OAI-PMH request with these parameters (each with all its values:
    an argument given twice is an error)."""
    now = timezone.now()
    root = ElementTree.Element(
        f"{{{OAI}}}OAI-PMH", {f"{{{XSI}}}schemaLocation": f"{OAI} {OAI_SCHEMA}"}
    )
    ElementTree.SubElement(root, f"{{{OAI}}}responseDate").text = _stamp(now)
    request = ElementTree.SubElement(root, f"{{{OAI}}}request")
    request.text = base_url
    try:
        verb, arguments = _arguments(parameters)
        # The request's arguments are echoed only when they were valid (the standard's rule).
        request.attrib.update({"verb": verb, **arguments})
        answer = ElementTree.SubElement(root, f"{{{OAI}}}{verb}")
        _VERB_HANDLERS[verb](answer, arguments, now=now, base_url=base_url)
    except OaiError as error:
        for element in list(root)[2:]:
            root.remove(element)
        if error.code in ("badVerb", "badArgument"):
            request.attrib.clear()
        ElementTree.SubElement(root, f"{{{OAI}}}error", code=error.code).text = error.message
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _arguments(parameters: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    for name, values in parameters.items():
        if any(CONTROL_CHARACTER.search(text) for text in (name, *values)):
            # Nothing of it is echoed: XML cannot carry it.
            raise OaiError("badArgument", "An argument holds a control character.")
    verbs = parameters.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
    verb = verbs[0]
    repeated = sorted(name for name, values in parameters.items() if len(values) > 1)
    if repeated:
        raise OaiError("badArgument", f"An argument is given more than once: {repeated[0]}.")
    arguments = {name: values[0] for name, values in parameters.items() if name != "verb"}
    required, optional, resumable = VERBS[verb]
    if resumable and "resumptionToken" in arguments:
        if len(arguments) > 1:
            raise OaiError("badArgument", "A resumptionToken must be the only argument.")
        return verb, arguments
    unknown = sorted(set(arguments) - required - optional)
    if unknown:
        raise OaiError("badArgument", f"{verb} does not take the argument {unknown[0]}.")
    missing = sorted(required - set(arguments))
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {missing[0]}.")
    return verb, arguments


# --- Identify, ListMetadataFormats, ListSets, GetRecord ------------------------------------------


def _identify(
    answer: ElementTree.Element,
    arguments: dict[str, str],
    *,
    now: datetime.datetime,
    base_url: str,
) -> None:
    earliest = harvest.earliest_change() or now
    for name, value in (
        ("repositoryName", settings.LIBRARY_NAME),
        ("baseURL", base_url),
        ("protocolVersion", "2.0"),
        ("adminEmail", admin_email()),
        ("earliestDatestamp", _stamp(earliest)),
        ("deletedRecord", "persistent"),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
    ):
        ElementTree.SubElement(answer, f"{{{OAI}}}{name}").text = value


def admin_email() -> str:
    """Who to write to about the repository: OAI_ADMIN_EMAIL, else the sender of the
    library's emails. The schema wants a domain with a dot: the default sender's
    "library@localhost" is said as "library@localhost.localdomain"."""
    address = settings.OAI_ADMIN_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    address = address or "library@localhost"
    return address if EMAIL.fullmatch(address) else f"{address}.localdomain"


def _list_metadata_formats(
    answer: ElementTree.Element, arguments: dict[str, str], **_: Any
) -> None:
    if "identifier" in arguments:
        _header_of(arguments["identifier"])  # idDoesNotExist unless it names a record
    for prefix, metadata_format in FORMATS.items():
        element = ElementTree.SubElement(answer, f"{{{OAI}}}metadataFormat")
        ElementTree.SubElement(element, f"{{{OAI}}}metadataPrefix").text = prefix
        ElementTree.SubElement(element, f"{{{OAI}}}schema").text = metadata_format.schema
        ElementTree.SubElement(
            element, f"{{{OAI}}}metadataNamespace"
        ).text = metadata_format.namespace


def _list_sets(answer: ElementTree.Element, arguments: dict[str, str], **_: Any) -> None:
    if "resumptionToken" in arguments:
        state = _token_state(arguments["resumptionToken"], "ListSets")
        after, cursor, total = int(state["a"]), int(state["c"]), int(state["n"])
    else:
        after, cursor, total = 0, 0, harvest.subject_count() + 1
        _set(answer, harvest.SUBJECT_SET, "Books by subject")
    subjects, more = harvest.subject_sets(after=after, size=SETS_PER_PAGE)
    for subject_id, name in subjects:
        _set(answer, f"{harvest.SUBJECT_SET}:{subject_id}", name)
    if "resumptionToken" in arguments or more:
        state = {"v": "ListSets", "a": subjects[-1][0] if subjects else after}
        shown = cursor + len(subjects) + (0 if "resumptionToken" in arguments else 1)
        _resumption(answer, state, more=more, cursor=cursor, total=total, next_cursor=shown)


def _set(parent: ElementTree.Element, spec: str, name: str) -> None:
    element = ElementTree.SubElement(parent, f"{{{OAI}}}set")
    ElementTree.SubElement(element, f"{{{OAI}}}setSpec").text = spec
    ElementTree.SubElement(element, f"{{{OAI}}}setName").text = name


def _get_record(answer: ElementTree.Element, arguments: dict[str, str], **_: Any) -> None:
    prefix = _format(arguments["metadataPrefix"])
    header = _header_of(arguments["identifier"])
    _records(answer, [header], prefix)


# --- ListIdentifiers, ListRecords ---------------------------------------------------------------


def _list_identifiers(answer: ElementTree.Element, arguments: dict[str, str], **kw: Any) -> None:
    _list(answer, arguments, "ListIdentifiers", kw["now"])


def _list_records(answer: ElementTree.Element, arguments: dict[str, str], **kw: Any) -> None:
    _list(answer, arguments, "ListRecords", kw["now"])


def _list(
    answer: ElementTree.Element, arguments: dict[str, str], verb: str, now: datetime.datetime
) -> None:
    size = RECORDS_PER_PAGE if verb == "ListRecords" else IDENTIFIERS_PER_PAGE
    resumed = "resumptionToken" in arguments
    if resumed:
        state = _token_state(arguments["resumptionToken"], verb)
        try:
            prefix = _format(state["m"])
            selection = harvest.Selection(
                until=_time(state["u"]),
                since=_time(state["f"]) if state["f"] else None,
                subject_set=state["s"],
            )
            after: tuple[datetime.datetime, int] | None = (_time(state["a"][0]), state["a"][1])
            cursor, total = int(state["c"]), int(state["n"])
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise _bad_token() from error
    else:
        prefix = _format(arguments["metadataPrefix"])
        selection = _selection(arguments, now)
        after, cursor = None, 0
        total = -1
    headers, more = harvest.headers_page(selection, after=after, size=size)
    if not headers and not resumed:
        raise OaiError("noRecordsMatch", "No record matches the arguments.")
    if verb == "ListRecords":
        _records(answer, headers, prefix)
    else:
        for header in headers:
            _header(answer, header)
    if resumed or more:
        if total < 0:
            total = harvest.count(selection)
        last = headers[-1].key if headers else after
        state = {
            "v": verb,
            "m": prefix,
            "s": selection.subject_set,
            "f": selection.since.isoformat() if selection.since else "",
            "u": selection.until.isoformat(),
            "a": [last[0].isoformat(), last[1]] if last else None,
        }
        _resumption(
            answer, state, more=more, cursor=cursor, total=total, next_cursor=cursor + len(headers)
        )


def _selection(arguments: dict[str, str], now: datetime.datetime) -> harvest.Selection:
    since = _bound(arguments["from"], end=False) if "from" in arguments else None
    until = _bound(arguments["until"], end=True) if "until" in arguments else now
    bounds = [arguments[name] for name in ("from", "until") if name in arguments]
    if len({len(bound) for bound in bounds}) > 1:
        raise OaiError("badArgument", "from and until must have the same granularity.")
    if since is not None and since > until:
        raise OaiError("badArgument", "from is later than until.")
    subject_set = arguments.get("set")
    if subject_set is not None and not harvest.set_exists(subject_set):
        raise OaiError("noRecordsMatch", f"There is no set {subject_set!r}.")
    # The harvest's end is fixed now: what changes while it pages comes in the next one.
    return harvest.Selection(until=min(until, now), since=since, subject_set=subject_set)


def _bound(value: str, *, end: bool) -> datetime.datetime:
    """A from or until: a day (its first or last moment) or a second (UTC, with a Z)."""
    try:
        if DAY.fullmatch(value):
            day = datetime.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=datetime.UTC)
            return day + datetime.timedelta(days=1, microseconds=-1) if end else day
        if SECOND.fullmatch(value):
            moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            moment = moment.replace(tzinfo=datetime.UTC)
            return moment + datetime.timedelta(microseconds=999_999) if end else moment
    except ValueError:
        pass  # a date that does not exist, 2026-02-30
    raise OaiError(
        "badArgument", f"{value!r} is not a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDThh:mm:ssZ)."
    )


# --- Records, headers, tokens -------------------------------------------------------------------


def _records(answer: ElementTree.Element, headers: list[harvest.Header], prefix: str) -> None:
    books = export_books_keyed([h.book_id for h in headers if not h.deleted])
    for header in headers:
        record = ElementTree.SubElement(answer, f"{{{OAI}}}record")
        _header(record, header)
        book = books.get(header.book_id)
        if book is None:
            continue  # deleted (or gone since its header was read: the next harvest says so)
        metadata = ElementTree.SubElement(record, f"{{{OAI}}}metadata")
        if prefix == "marc21":
            node = records.marcxml(book, qualified=True)  # with its schemaLocation
        else:
            node = ElementTree.Element(
                f"{{{OAI_DC}}}dc",
                {f"{{{XSI}}}schemaLocation": f"{OAI_DC} {FORMATS['oai_dc'].schema}"},
            )
            records.dublin_core(book, node)
        metadata.append(node)


def _header(parent: ElementTree.Element, header: harvest.Header) -> None:
    element = ElementTree.SubElement(parent, f"{{{OAI}}}header")
    if header.deleted:
        element.set("status", "deleted")
    ElementTree.SubElement(element, f"{{{OAI}}}identifier").text = identifier(header.book_id)
    ElementTree.SubElement(element, f"{{{OAI}}}datestamp").text = _stamp(header.changed_at)
    for spec in header.sets:
        ElementTree.SubElement(element, f"{{{OAI}}}setSpec").text = spec


def identifier(book_id: int) -> str:
    """A record's OAI identifier: oai:<OAI_REPOSITORY_ID>:<the book's id>."""
    return f"oai:{settings.OAI_REPOSITORY_ID}:{book_id}"


def _header_of(value: str) -> harvest.Header:
    prefix = f"oai:{settings.OAI_REPOSITORY_ID}:"
    number = value.removeprefix(prefix)
    found = None
    if value.startswith(prefix) and number.isdigit() and len(number) < 19:
        found = harvest.header(int(number))
    if found is None:
        raise OaiError("idDoesNotExist", f"There is no record {value!r} here.")
    return found


def _format(prefix: str) -> str:
    if prefix not in FORMATS:
        raise OaiError(
            "cannotDisseminateFormat",
            f"No metadata format {prefix!r}; there are {', '.join(FORMATS)}.",
        )
    return prefix


def _resumption(
    answer: ElementTree.Element,
    state: dict[str, Any],
    *,
    more: bool,
    cursor: int,
    total: int,
    next_cursor: int,
) -> None:
    """The list's resumptionToken element: the next page's token, or empty on the last page."""
    element = ElementTree.SubElement(
        answer,
        f"{{{OAI}}}resumptionToken",
        completeListSize=str(max(total, next_cursor)),
        cursor=str(cursor),
    )
    if more:
        state = {**state, "c": next_cursor, "n": total}
        element.text = signing.dumps(state, salt=TOKEN_SALT, compress=True)


def _token_state(token: str, verb: str) -> dict[str, Any]:
    try:
        state = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature as error:
        raise _bad_token() from error
    if not isinstance(state, dict) or state.get("v") != verb:
        raise _bad_token()
    return state


def _bad_token() -> OaiError:
    return OaiError("badResumptionToken", "The resumptionToken is not one this repository gave.")


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


_VERB_HANDLERS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}
