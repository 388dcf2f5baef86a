"""A catalog record as the protocols hand it out: MARCXML (the catalog's MARCXML export, each
copy as 852/876 holdings) or simple Dublin Core, both from the export's ``ExportBook`` rows
(interchange.selectors), so SRU, OAI-PMH and the files say the same."""

from __future__ import annotations

from xml.etree import ElementTree

from interchange.records import ExportBook

DC = "http://purl.org/dc/elements/1.1/"
MARC = "http://www.loc.gov/MARC21/slim"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

ElementTree.register_namespace("dc", DC)
ElementTree.register_namespace("marc", MARC)
ElementTree.register_namespace("xsi", XSI)


def marcxml(book: ExportBook, *, qualified: bool = False) -> ElementTree.Element:
    """The book's MARCXML record. pymarc writes the MARC namespace as the record's default one
    (an ``xmlns`` attribute over unqualified names); ``qualified`` names every element in it
    instead, for a document that has a default namespace of its own (OAI-PMH's)."""
    # Imported here: pymarc loads on the first MARC record, not with every web worker
    # (shelfmark/tests/test_startup.py).
    from pymarc.marcxml import record_to_xml_node

    from interchange.exports.marcxml import record_for_book

    node: ElementTree.Element = record_to_xml_node(record_for_book(book), namespace=True)
    if qualified:
        for name in ("xmlns", "xmlns:xsi"):
            node.attrib.pop(name, None)
        location = node.attrib.pop("xsi:schemaLocation", None)
        if location:
            node.set(f"{{{XSI}}}schemaLocation", location)
        for element in node.iter():
            if not element.tag.startswith("{"):
                element.tag = f"{{{MARC}}}{element.tag}"
    return node


def dublin_core(book: ExportBook, root: ElementTree.Element) -> ElementTree.Element:
    """The book's simple Dublin Core elements, added to ``root`` (each protocol wraps them in
    its own element: SRU's srw_dc:dc, OAI-PMH's oai_dc:dc)."""
    title = book["title"] + (f": {book['subtitle']}" if book["subtitle"] else "")
    _dc(root, "title", title)
    for author in book["authors"]:
        _dc(root, "creator", author)
    for subject in book["subjects"]:
        _dc(root, "subject", subject)
    _dc(root, "description", book["description"])
    _dc(root, "publisher", book["publisher"])
    _dc(root, "date", "" if book["year"] is None else str(book["year"]))
    _dc(root, "type", "Text")
    if book["isbn"]:
        _dc(root, "identifier", f"urn:isbn:{book['isbn']}")
    _dc(root, "language", book["language"])
    return root


def _dc(parent: ElementTree.Element, name: str, value: str) -> None:
    if value:
        ElementTree.SubElement(parent, f"{{{DC}}}{name}").text = value
