"""Holdings without barcodes: a call number and a location, no label to scan.

Most catalogs' exports have such holdings (a MARC 852 without ``$p``, a spreadsheet's call
number column without a barcode column). A copy is identified by its barcode, so none is made of
them unless the import is asked to (``barcodes="generate:PREFIX"``, the import commands'
``--barcodes generate[:PREFIX]``):

- By default the book goes in without a copy for the holding, and the import reports it (a
  warning with its call number and location): the catalog has no other place for a call number,
  and a copy whose label nobody can scan would be a copy nobody can lend.
- Generating, each such holding becomes a copy with a new barcode, PREFIX and a six-digit number
  ("SM-000042"; capitals, digits and "-", which Code 39 and Code 128 both print), the next
  after the highest the catalog has with that prefix, and the import reports each barcode
  made. Imports generating with the same prefix at the same time take turns (a lock on
  PostgreSQL, held until the batch commits; SQLite writes one at a time anyway), and every
  barcode is checked against the catalog's before it is used.
- Running the same file again adds nothing: a holding without a barcode is taken to be a copy
  the book already has with the same call number (one copy for each such holding), unless its
  record names that copy's barcode itself. Only the holdings beyond those become copies. A book
  listed twice is one book, so its holdings are not added twice either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection
from django.db.models import BigIntegerField, F, Max
from django.db.models.functions import Cast, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Copy
from catalog.services.bulk.checking import Problem
from catalog.services.bulk.lookups import one_of

GENERATE = "generate"
DEFAULT_PREFIX = "SM-"
PREFIX_MAX_LENGTH = 20
NUMBER_DIGITS = 6
_PREFIX = re.compile(r"[A-Z0-9-]+")
# Any advisory lock of Shelfmark's is taken in this namespace (PostgreSQL's two-key form).
_LOCK_NAMESPACE = 7_414_001

# A warning's reason is one sentence for all the holdings it concerns (the import's summary
# counts them together); the holding is in the warning's value. Lazy texts (typed as the str
# they become), translated when a warning is made (``str()``), in the language of whoever runs
# the import (the library's own, in the worker).
NO_COPY_MADE = cast(
    "str",
    gettext_lazy(
        "Holding without a barcode: no copy made (import with --barcodes generate to make copies)"
    ),
)
BARCODE_GENERATED = cast("str", gettext_lazy("Barcode generated for a holding without one"))
COPY_ALREADY_THERE = cast(
    "str",
    gettext_lazy(
        "Holding without a barcode: taken to be a copy with its call number already in the catalog"
    ),
)


def barcodes_option(text: str) -> str:
    """The import option as given ("", "generate" or "generate:PREFIX", any capitals) in the
    form a run keeps it: "" or "generate:PREFIX". ``ValueError`` says what is wrong."""
    text = text.strip()
    if not text:
        return ""
    kind, colon, prefix = text.partition(":")
    if kind.strip().lower() != GENERATE:
        raise ValueError(
            _(
                "'%(text)s' is not a barcodes option: use 'generate' or 'generate:PREFIX' (e.g. "
                "generate:%(prefix)s)."
            )
            % {"text": text, "prefix": DEFAULT_PREFIX}
        )
    prefix = prefix.strip().upper() if colon else DEFAULT_PREFIX
    if not prefix:
        raise ValueError(
            _(
                "Give the prefix after 'generate:' (e.g. generate:MAIN-), or leave out the colon "
                "for the default prefix %(prefix)s."
            )
            % {"prefix": DEFAULT_PREFIX}
        )
    if len(prefix) > PREFIX_MAX_LENGTH or not _PREFIX.fullmatch(prefix):
        raise ValueError(
            _(
                "The barcode prefix '%(prefix)s' may have up to %(most)d letters A to Z, "
                "digits and hyphens only (what every barcode printer and scanner reads)."
            )
            % {"prefix": prefix, "most": PREFIX_MAX_LENGTH}
        )
    return f"{GENERATE}:{prefix}"


@dataclass(slots=True)
class BarcodeMaker:
    """Makes the barcodes of one import. ``last`` is the highest number it gave (None before
    its first batch): a dry run's batches are rolled back, and the next one goes on counting
    from there, as the real run would."""

    prefix: str
    last: int | None = None

    @classmethod
    def for_option(cls, option: str) -> BarcodeMaker | None:
        """The maker an import option asks for (``barcodes_option``), None for none."""
        stored = barcodes_option(option)
        return cls(stored.partition(":")[2]) if stored else None

    def code(self, number: int) -> str:
        return f"{self.prefix}{number:0{NUMBER_DIGITS}d}"

    def make(self, count: int, reserved: set[str]) -> list[str]:
        """``count`` barcodes no copy has and none in ``reserved`` (the batch's own). Call it
        with the lock taken (``lock``), so no other import makes the same meanwhile."""
        if self.last is None:
            self.last = self._highest()
        codes: list[str] = []
        while len(codes) < count:
            start = self.last + 1
            wanted = [self.code(n) for n in range(start, start + count - len(codes))]
            self.last = start + len(wanted) - 1
            if Copy.objects.filter(one_of(F("barcode"), wanted)).exists():
                # Someone else wrote barcodes of this prefix meanwhile (by hand, or an import
                # that committed between our batches): start again above the highest.
                self.last = max(self.last, self._highest())
                continue
            codes += [code for code in wanted if code not in reserved]
        return codes

    def _highest(self) -> int:
        """The highest number after the prefix among the catalog's barcodes (0 for none)."""
        digits = Substr("barcode", len(self.prefix) + 1)
        # At most 12 digits: a number a bigint holds, whatever a hand-typed label says.
        pattern = f"^{re.escape(self.prefix)}[0-9]{{1,12}}$"
        highest = Copy.objects.filter(barcode__regex=pattern).aggregate(
            highest=Max(Cast(digits, BigIntegerField()))
        )["highest"]
        return int(highest or 0)

    def lock(self) -> None:
        """Take turns with other imports making barcodes of this prefix, until the transaction
        ends (PostgreSQL; SQLite lets one writer in at a time anyway)."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_NAMESPACE, self.prefix]
            )


def described(copy: dict[str, Any]) -> str:
    """A holding for a report: "call number 823.7 AUS, location Stacks"."""
    parts = [
        label % {"value": copy[name]}
        for name, label in (
            ("call_number", _("call number %(value)s")),
            ("location", _("location %(value)s")),
        )
        if copy.get(name)
    ]
    return ", ".join(parts) or _("no call number or location")


@dataclass(slots=True)
class ItemHoldings:
    """One item's copies as the write sees them: whose they are, what the item gives, and what
    becomes of its holdings without barcodes."""

    owner: tuple[str, int]  # the book: ("book", id) of the catalog's, ("new", …) of the batch's
    copies: list[dict[str, Any]]  # the copies the item gives with a barcode (new or not)
    holdings: list[dict[str, Any]]  # its holdings without a barcode
    warnings: list[Problem]  # the item's outcome's: what became of each holding is said here
    made: list[dict[str, Any]] = field(default_factory=list)  # copies to add for its holdings


def settle(
    items: list[ItemHoldings],
    maker: BarcodeMaker | None,
    there: dict[int, list[dict[str, Any]]],
    reserved: set[str],
) -> None:
    """Decide what becomes of the items' holdings without barcodes (the module docstring
    says): fills each item's ``made`` and ``warnings``. ``there`` has the copies of the
    catalog's books among the owners (``copies_of``), ``reserved`` every barcode of the batch.
    With a maker, its lock must be taken (``BarcodeMaker.lock``)."""
    if maker is None:
        for item in items:
            item.warnings += [
                Problem("barcode", str(NO_COPY_MADE), described(h)) for h in item.holdings
            ]
        return
    # The copies each book has, as the batch goes: the catalog's, then those its items add.
    pools: dict[tuple[str, int], list[dict[str, Any]]] = {}
    covered: list[tuple[ItemHoldings, dict[str, Any]]] = []
    for item in items:
        kind, key = item.owner
        pool = pools.setdefault(item.owner, list(there.get(key, ())) if kind == "book" else [])
        named = {copy["barcode"] for copy in item.copies}
        unnamed = [copy for copy in pool if copy["barcode"] not in named]
        for holding in item.holdings:
            same = next(
                (copy for copy in unnamed if copy["call_number"] == holding["call_number"]), None
            )
            if same is not None:
                unnamed.remove(same)
                covered.append((item, same))
            else:
                item.made.append(dict(holding))
        known = {copy["barcode"] for copy in pool}
        pool += [copy for copy in item.copies if copy["barcode"] not in known]
        pool += item.made  # their barcodes are filled in below
    made = [copy for item in items for copy in item.made]
    if made:
        for copy, barcode in zip(made, maker.make(len(made), reserved), strict=True):
            copy["barcode"] = barcode
    for item in items:
        item.warnings += [
            Problem("barcode", str(BARCODE_GENERATED), f"{copy['barcode']}: {described(copy)}")
            for copy in item.made
        ]
    for item, copy in covered:
        item.warnings.append(
            Problem("barcode", str(COPY_ALREADY_THERE), f"{copy['barcode']}: {described(copy)}")
        )


def copies_of(book_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The barcodes and call numbers of the books' copies, by book (one query)."""
    ids = list(book_ids)
    found: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return found
    for book_id, barcode, call_number in (
        Copy.objects.filter(one_of(F("book_id"), ids))
        .order_by("barcode")
        .values_list("book_id", "barcode", "call_number")
    ):
        found.setdefault(book_id, []).append({"barcode": barcode, "call_number": call_number})
    return found
