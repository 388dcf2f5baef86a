"""The catalogs copy cataloguing searches: documented presets and the library's own.

A target is a catalog that sends MARC 21, over SRU as MARCXML (its base URL, the record schema
that names MARCXML there, which servers spell differently, and the SRU version it speaks) or,
for a catalog that speaks only Z39.50, over Z39.50 through yaz's ZOOM shell, the gateway the
Debian yaz package brings (``protocol`` "z3950", a ``z3950://host:port/database`` URL, MARC 21
in USMARC syntax). Each has its indexes for an ISBN, a title and an author: CQL indexes over
SRU (context sets differ: the Deutsche Nationalbibliothek has no ``bath`` or ``dc`` indexes),
Bib-1 attributes in PQF over Z39.50.

``settings.COPYCAT_TARGETS`` lists the targets the page offers, in order: a preset's key
("loc"), or a dict of the library's own (``Target``'s fields; ``indexes`` may leave out any of
"isbn", "title" and "author": over SRU ``bath.isbn``, ``dc.title`` and ``dc.creator``, over
Z39.50 ``@attr 1=7``, ``@attr 1=4`` and ``@attr 1=1003``). By default, the SRU presets.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from catalog.isbn import isbn10_or_none


class SearchBy(enum.StrEnum):
    ISBN = "isbn"
    TITLE = "title"
    AUTHOR = "author"


SEARCH_BY_LABELS = {
    SearchBy.ISBN: _("ISBN"),
    SearchBy.TITLE: _("Title"),
    SearchBy.AUTHOR: _("Author"),
}

# The indexes of the CQL context sets most SRU servers know (bath for the ISBN, Dublin Core
# for the rest): what a target that does not say otherwise is asked with.
DEFAULT_INDEXES: Mapping[str, str] = {
    SearchBy.ISBN: "bath.isbn",
    SearchBy.TITLE: "dc.title",
    SearchBy.AUTHOR: "dc.creator",
}
# Z39.50 targets are asked in PQF with Bib-1 use attributes (ISBN 7, title 4, author 1003).
Z3950_INDEXES: Mapping[str, str] = {
    SearchBy.ISBN: "@attr 1=7",
    SearchBy.TITLE: "@attr 1=4",
    SearchBy.AUTHOR: "@attr 1=1003",
}
SRU_VERSIONS = ("1.1", "1.2", "2.0")
PROTOCOLS = ("sru", "z3950")


@dataclass(frozen=True)
class Target:
    key: str  # stable, for forms and settings: letters, digits, "-" and "_"
    name: str  # shown with every result: where the record comes from
    # SRU: the base URL (database included), without a query string; Z39.50:
    # z3950://host:port/database
    url: str
    schema: str = "marcxml"  # SRU: the recordSchema that gives MARCXML there
    version: str = "1.1"  # SRU's
    # The index (SRU: a CQL index; Z39.50: PQF attributes) for each way of searching that
    # differs from the protocol's defaults (DEFAULT_INDEXES, Z3950_INDEXES).
    indexes: Mapping[str, str] = field(default_factory=dict)
    documented_at: str = ""  # where the URL, schema and indexes are documented
    protocol: str = "sru"  # or "z3950", asked through yaz's ZOOM shell (client.py)

    def index_for(self, search_by: SearchBy) -> str:
        defaults = Z3950_INDEXES if self.protocol == "z3950" else DEFAULT_INDEXES
        return self.indexes.get(search_by) or defaults[search_by]


PRESETS: dict[str, Target] = {
    target.key: target
    for target in (
        # The Library of Congress's Voyager catalog over SRU 1.1 ("LC SRU servers" lists LCDB
        # at lx2.loc.gov port 210, with bath.isbn, dc.title and dc.creator); MARCXML is
        # recordSchema "marcxml".
        Target(
            key="loc",
            name="Library of Congress",
            url="http://lx2.loc.gov:210/lcdb",
            documented_at="https://www.loc.gov/standards/sru/resources/lcServers.html",
        ),
        # The Deutsche Nationalbibliothek's SRU interface: its own indexes (NUM for ISBNs and
        # other numbers, TIT, PER) and MARC 21 as recordSchema "MARC21-xml".
        Target(
            key="dnb",
            name="Deutsche Nationalbibliothek",
            url="https://services.dnb.de/sru/dnb",
            schema="MARC21-xml",
            indexes={SearchBy.ISBN: "num", SearchBy.TITLE: "tit", SearchBy.AUTHOR: "per"},
            documented_at="https://www.dnb.de/EN/Professionell/Metadatendienste/Datenbezug/SRU/sru_node.html",
        ),
        # K10plus, the union catalog of the GBV and SWB library networks (German academic and
        # public libraries), database opac-de-627; PICA's indexes, MARCXML as "marcxml".
        Target(
            key="k10plus",
            name="K10plus (GBV and SWB union catalog)",
            url="https://sru.k10plus.de/opac-de-627",
            indexes={
                SearchBy.ISBN: "pica.isb",
                SearchBy.TITLE: "pica.tit",
                SearchBy.AUTHOR: "pica.per",
            },
            documented_at="https://wiki.k10plus.de/display/K10PLUS/SRU",
        ),
        # The Library of Congress's catalog over Z39.50 ("LC Z39.50 server": z3950.loc.gov port
        # 7090, database Voyager, MARC 21 in USMARC syntax), for comparison with the SRU one;
        # not searched unless COPYCAT_TARGETS names it.
        Target(
            key="loc-z3950",
            name="Library of Congress (Z39.50)",
            url="z3950://z3950.loc.gov:7090/Voyager",
            protocol="z3950",
            documented_at="https://www.loc.gov/z3950/lcserver.html",
        ),
        # Not here: the Bibliothèque nationale de France (catalogue.bnf.fr/api/SRU) sends
        # UNIMARC, which our MARC reader does not map; a library that wants it adds a gateway
        # that converts it to MARC 21.
    )
}


def isbn_forms(isbn: str) -> list[str]:
    """An ISBN-13 and its ISBN-10 form, where it has one (978 ISBNs): records older than 2007
    often hold only the ISBN-10, and not every catalog's index converts. Anything else as
    given."""
    try:
        ten = isbn10_or_none(isbn)
    except ValueError:  # not an ISBN-13 (stdnum's errors are ValueErrors)
        return [isbn]
    return [isbn, ten] if ten else [isbn]


def configured_targets() -> list[Target]:
    """The targets the page offers (``settings.COPYCAT_TARGETS``; by default the SRU presets).
    ImproperlyConfigured for an entry that is not one (protocols.checks reports it at start)."""
    entries = settings.COPYCAT_TARGETS
    if not isinstance(entries, list):
        raise ImproperlyConfigured("COPYCAT_TARGETS is a list of preset keys and objects.")
    targets = [_target_of(entry) for entry in entries]
    keys = [target.key for target in targets]
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured("COPYCAT_TARGETS names a target key twice.")
    return targets


def target_named(key: str) -> Target | None:
    return next((target for target in configured_targets() if target.key == key), None)


def _target_of(entry: Any) -> Target:
    if isinstance(entry, str):
        if entry not in PRESETS:
            raise ImproperlyConfigured(
                f"COPYCAT_TARGETS: no preset {entry!r}; the presets are {', '.join(PRESETS)}."
            )
        return PRESETS[entry]
    if not isinstance(entry, Mapping):
        raise ImproperlyConfigured("COPYCAT_TARGETS: each target is a preset's key or a dict.")
    unknown = set(entry) - set(Target.__dataclass_fields__)
    missing = {"key", "name", "url"} - set(entry)
    if unknown or missing:
        raise ImproperlyConfigured(
            f"COPYCAT_TARGETS entry {entry!r}: unknown fields {sorted(unknown)}, "
            f"missing fields {sorted(missing)}."
        )
    target = Target(**entry)
    if target.protocol not in PROTOCOLS:
        raise ImproperlyConfigured(
            f"COPYCAT_TARGETS {target.key!r}: protocol must be one of {', '.join(PROTOCOLS)}."
        )
    address = urlsplit(target.url)
    schemes = ("z3950",) if target.protocol == "z3950" else ("http", "https")
    if (
        address.scheme not in schemes
        or not address.hostname
        or address.query
        or not address.path.strip("/")
    ):
        raise ImproperlyConfigured(
            f"COPYCAT_TARGETS {target.key!r}: the url must be "
            + (
                "z3950://host[:port]/database."
                if target.protocol == "z3950"
                else "http(s)://host[:port]/database, without a query string."
            )
        )
    if target.version not in SRU_VERSIONS:
        raise ImproperlyConfigured(
            f"COPYCAT_TARGETS {target.key!r}: version must be one of {', '.join(SRU_VERSIONS)}."
        )
    if not target.key.replace("-", "").replace("_", "").isalnum():
        raise ImproperlyConfigured(f"COPYCAT_TARGETS {target.key!r}: a key is letters and digits.")
    return target
