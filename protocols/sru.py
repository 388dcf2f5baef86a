"""SRU 1.2 (Search/Retrieve via URL) over the catalog, and 2.0 for a client that asks for it
(``version=2.0``): ``explain`` and ``searchRetrieve``, and a diagnostic for everything else,
never an HTML page.

A request is its query string (``operation``, ``version``, ``query``, ``startRecord``,
``maximumRecords``, ``recordSchema``, ``recordPacking``); ``respond`` turns it into the XML
response. The query is CQL (protocols.cql), run by protocols.search; the records are MARCXML
(the catalog's MARCXML export, copies as 852/876 holdings) or simple Dublin Core.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree

from django.conf import settings

from interchange.records import ExportBook
from interchange.selectors import export_books_by_id
from protocols import cql, pqf, records
from protocols.search import Diagnostic, matching_ids
from shelfmark.middleware import CONTROL_CHARACTER

SRW = "http://www.loc.gov/zing/srw/"
DIAGNOSTIC = "http://www.loc.gov/zing/srw/diagnostic/"
# SRU 2.0 (OASIS searchRetrieve): the same answers in its own namespaces.
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAGNOSTIC2 = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
SRW_DC = "info:srw/schema/1/dc-schema"

VERSIONS = ("1.1", "1.2", "2.0")
# Each record schema by its short name and its identifier (either may be asked for).
SCHEMAS = {
    "marcxml": "info:srw/schema/1/marcxml-v1.1",
    "dc": "info:srw/schema/1/dc-v1.1",
}
DEFAULT_SCHEMA = "marcxml"
DEFAULT_RECORDS = 10
MOST_RECORDS = 100
OPERATIONS = ("explain", "searchRetrieve")
# The parameters SRU 1.2 defines for the two operations; others are refused (diagnostic 8),
# but extension parameters (x-…) are ignored as the standard says.
KNOWN_PARAMETERS = frozenset(
    {
        "operation",
        "version",
        "query",
        "startRecord",
        "maximumRecords",
        "recordPacking",
        "recordSchema",
        "recordXPath",
        "resultSetTTL",
        "sortKeys",
        "stylesheet",
        "extraRequestData",
        # SRU 2.0's
        "recordXMLEscaping",
        "queryType",
        "httpAccept",
    }
)

for prefix, uri in (
    ("zs", SRW),
    ("diag", DIAGNOSTIC),
    ("sruResponse", SRU2),
    ("diag2", DIAGNOSTIC2),
    ("zr", ZEEREX),
):
    ElementTree.register_namespace(prefix, uri)
ElementTree.register_namespace("srw_dc", SRW_DC)


def respond(parameters: Mapping[str, str], *, base_url: str) -> bytes:
    """The XML answer to an SRU request with these query parameters (the first of each)."""
    operation = parameters.get("operation", "")
    if not operation:
        searching = "query" in parameters or "x-pquery" in parameters
        operation = "searchRetrieve" if searching else "explain"
    version = parameters.get("version") or "1.2"
    unreadable = _control_characters(parameters)
    if unreadable is not None:
        # Nothing of the request is echoed: it would not be XML.
        searching = "query" in parameters or "x-pquery" in parameters
        root = ElementTree.Element(
            f"{{{SRW}}}searchRetrieveResponse" if searching else f"{{{SRW}}}explainResponse"
        )
        _text(root, "version", "1.2")
        if searching:
            _text(root, "numberOfRecords", "0")
        _diagnostics(root, [unreadable])
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    if operation == "explain" or operation not in OPERATIONS:
        root = ElementTree.Element(f"{{{SRW}}}explainResponse")
        _text(root, "version", version if version in VERSIONS else "1.2")
        problems = _common_problems(parameters, version)
        if operation not in OPERATIONS:
            problems.insert(0, Diagnostic(4, operation, "Unsupported operation"))
        if not problems:
            _explain_record(root, base_url)
        _diagnostics(root, problems)
    else:
        root = _search_retrieve(parameters, version)
    if version == "2.0":
        _as_sru2(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _search_retrieve(parameters: Mapping[str, str], version: str) -> ElementTree.Element:
    root = ElementTree.Element(f"{{{SRW}}}searchRetrieveResponse")
    _text(root, "version", version if version in VERSIONS else "1.2")
    problems = _common_problems(parameters, version)
    start = _whole(parameters, "startRecord", 1, problems)
    most = _whole(parameters, "maximumRecords", DEFAULT_RECORDS, problems)
    schema = parameters.get("recordSchema", DEFAULT_SCHEMA)
    short = next((name for name, uri in SCHEMAS.items() if schema in (name, uri)), None)
    if short is None:
        problems.append(Diagnostic(66, schema, "Unknown schema for retrieval"))
    if version == "2.0":
        # 2.0 renamed 1.2's recordPacking (xml or string) recordXMLEscaping, and gave the old
        # name to packed or unpacked records: only packed ones here.
        packing = parameters.get("recordXMLEscaping") or "xml"
        if parameters.get("recordPacking", "packed") != "packed":
            problems.append(Diagnostic(6, "recordPacking", "Unsupported parameter value"))
        if parameters.get("queryType", "cql") != "cql":
            problems.append(Diagnostic(6, "queryType", "Unsupported parameter value"))
    else:
        packing = parameters.get("recordPacking") or "xml"
    if packing not in ("xml", "string"):
        problems.append(Diagnostic(71, packing, "Unsupported record packing"))
    for unsupported, number, message in (
        ("sortKeys", 80, "Sort not supported"),
        ("recordXPath", 72, "XPath retrieval unsupported"),
        ("stylesheet", 110, "Stylesheets not supported"),
    ):
        if parameters.get(unsupported):
            problems.append(Diagnostic(number, parameters[unsupported], message))
    text = parameters.get("query", "")
    # yaz's clients send PQF as x-pquery unless told to use CQL (protocols.pqf).
    prefix_query = "" if text.strip() else parameters.get("x-pquery", "")
    if not text.strip() and not prefix_query.strip():
        problems.append(Diagnostic(7, "query", "Mandatory parameter not supplied"))
    if start is not None and start < 1:
        problems.append(Diagnostic(6, "startRecord", "Unsupported parameter value"))
    if most is not None and most < 0:
        problems.append(Diagnostic(6, "maximumRecords", "Unsupported parameter value"))
    if problems:
        _text(root, "numberOfRecords", "0")
        _diagnostics(root, problems)
        return root
    # Each was reported above when it could not be read.
    assert start is not None
    assert most is not None
    assert short is not None
    try:
        query = pqf.parse(prefix_query) if prefix_query else cql.parse(text)
        ids = sorted(matching_ids(query))
    except (cql.CQLError, pqf.PQFError) as error:
        _text(root, "numberOfRecords", "0")
        _diagnostics(root, [Diagnostic(error.diagnostic, text or prefix_query, str(error))])
        return root
    except Diagnostic as diagnostic:
        _text(root, "numberOfRecords", "0")
        _diagnostics(root, [diagnostic])
        return root
    _text(root, "numberOfRecords", str(len(ids)))
    page = ids[start - 1 : start - 1 + min(most, MOST_RECORDS)]
    if page:
        listed = ElementTree.SubElement(root, f"{{{SRW}}}records")
        for position, book in enumerate(export_books_by_id(page), start=start):
            _record(listed, book, short, packing, position)
        if start - 1 + len(page) < len(ids):
            _text(root, "nextRecordPosition", str(start + len(page)))
    elif ids and start > len(ids):
        _diagnostics(root, [Diagnostic(61, str(start), "First record position out of range")])
    return root


def _control_characters(parameters: Mapping[str, str]) -> Diagnostic | None:
    """Diagnostic 6 for a parameter holding a control character (no query has one; XML cannot
    carry it back), naming the parameter when its name is clean."""
    for name, value in parameters.items():
        if CONTROL_CHARACTER.search(name) or CONTROL_CHARACTER.search(value):
            details = "" if CONTROL_CHARACTER.search(name) else name
            return Diagnostic(6, details, "Unsupported parameter value: a control character")
    return None


def _common_problems(parameters: Mapping[str, str], version: str) -> list[Diagnostic]:
    problems = []
    if version not in VERSIONS:
        problems.append(Diagnostic(5, "1.2", "Unsupported version"))
    for name in parameters:
        if name not in KNOWN_PARAMETERS and not name.startswith("x-"):
            problems.append(Diagnostic(8, name, "Unsupported parameter"))
    return problems


def _whole(
    parameters: Mapping[str, str], name: str, default: int, problems: list[Diagnostic]
) -> int | None:
    raw = parameters.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(Diagnostic(6, name, "Unsupported parameter value"))
        return None


def _record(
    parent: ElementTree.Element, book: ExportBook, schema: str, packing: str, position: int
) -> None:
    record = ElementTree.SubElement(parent, f"{{{SRW}}}record")
    _text(record, "recordSchema", SCHEMAS[schema])
    _text(record, "recordPacking", packing)
    data = ElementTree.SubElement(record, f"{{{SRW}}}recordData")
    if schema == "marcxml":
        node = records.marcxml(book)
    else:
        node = records.dublin_core(book, ElementTree.Element(f"{{{SRW_DC}}}dc"))
    if packing == "string":
        data.text = ElementTree.tostring(node, encoding="unicode")
    else:
        data.append(node)
    _text(record, "recordPosition", str(position))


def _explain_record(parent: ElementTree.Element, base_url: str) -> None:
    record = ElementTree.SubElement(parent, f"{{{SRW}}}record")
    _text(record, "recordSchema", "http://explain.z3950.org/dtd/2.0/")
    _text(record, "recordPacking", "xml")
    data = ElementTree.SubElement(record, f"{{{SRW}}}recordData")
    explain = ElementTree.SubElement(data, f"{{{ZEEREX}}}explain")
    host, _, rest = base_url.partition("://")[2].partition("/")
    name, _, port = host.partition(":")
    server = ElementTree.SubElement(explain, f"{{{ZEEREX}}}serverInfo", protocol="SRU")
    _zr(server, "host", name)
    _zr(server, "port", port or "80")
    _zr(server, "database", rest or "sru")
    database = ElementTree.SubElement(explain, f"{{{ZEEREX}}}databaseInfo")
    _zr(database, "title", settings.LIBRARY_NAME)
    _zr(database, "description", "The library's catalog: books, their authors, subjects, copies.")
    index_info = ElementTree.SubElement(explain, f"{{{ZEEREX}}}indexInfo")
    for prefix, uri in (
        ("cql", "info:srw/cql-context-set/1/cql-v1.2"),
        ("dc", "info:srw/cql-context-set/1/dc-v1.1"),
        ("bath", "http://zing.z3950.org/cql/bath/2.0/"),
        ("rec", "info:srw/cql-context-set/2/rec-1.1"),
    ):
        ElementTree.SubElement(index_info, f"{{{ZEEREX}}}set", name=prefix, identifier=uri)
    for title, names in (
        ("Any field the website searches", ("cql.serverChoice", "cql.anywhere")),
        ("Title and subtitle", ("dc.title",)),
        ("Authors", ("dc.creator", "dc.author")),
        ("Subjects", ("dc.subject",)),
        ("ISBN", ("bath.isbn", "dc.identifier")),
        ("Record id", ("rec.id",)),
    ):
        index = ElementTree.SubElement(index_info, f"{{{ZEEREX}}}index")
        _zr(index, "title", title)
        mapping = ElementTree.SubElement(index, f"{{{ZEEREX}}}map")
        for qualified in names:
            set_name, _, index_name = qualified.partition(".")
            ElementTree.SubElement(mapping, f"{{{ZEEREX}}}name", set=set_name).text = index_name
    schema_info = ElementTree.SubElement(explain, f"{{{ZEEREX}}}schemaInfo")
    for short, uri in SCHEMAS.items():
        schema = ElementTree.SubElement(
            schema_info, f"{{{ZEEREX}}}schema", identifier=uri, name=short
        )
        _zr(schema, "title", "MARCXML" if short == "marcxml" else "Dublin Core")
    config = ElementTree.SubElement(explain, f"{{{ZEEREX}}}configInfo")
    ElementTree.SubElement(config, f"{{{ZEEREX}}}default", type="numberOfRecords").text = str(
        DEFAULT_RECORDS
    )
    ElementTree.SubElement(config, f"{{{ZEEREX}}}setting", type="maximumRecords").text = str(
        MOST_RECORDS
    )


def _zr(parent: ElementTree.Element, name: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{ZEEREX}}}{name}").text = value


def _text(parent: ElementTree.Element, name: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{SRW}}}{name}").text = value


def _diagnostics(parent: ElementTree.Element, problems: list[Diagnostic]) -> None:
    if not problems:
        return
    container = ElementTree.SubElement(parent, f"{{{SRW}}}diagnostics")
    for problem in problems:
        diagnostic = ElementTree.SubElement(container, f"{{{DIAGNOSTIC}}}diagnostic")
        ElementTree.SubElement(
            diagnostic, f"{{{DIAGNOSTIC}}}uri"
        ).text = f"info:srw/diagnostic/1/{problem.number}"
        if problem.details:
            ElementTree.SubElement(diagnostic, f"{{{DIAGNOSTIC}}}details").text = problem.details
        ElementTree.SubElement(diagnostic, f"{{{DIAGNOSTIC}}}message").text = problem.message


def _as_sru2(root: ElementTree.Element) -> None:
    """An SRU 1.2 answer as SRU 2.0 says it: its elements in 2.0's namespaces, and each
    record's recordPacking named recordXMLEscaping."""
    renamed = {SRW: SRU2, DIAGNOSTIC: DIAGNOSTIC2}
    for element in root.iter():
        if not element.tag.startswith("{"):
            continue  # a MARC record's own elements (pymarc's, with a default namespace)
        namespace, _, name = element.tag[1:].partition("}")
        if namespace in renamed:
            if namespace == SRW and name == "recordPacking":
                name = "recordXMLEscaping"
            element.tag = f"{{{renamed[namespace]}}}{name}"
