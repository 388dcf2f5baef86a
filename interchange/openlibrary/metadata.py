"""Reading Open Library's records into a ``BookMetadata``, cleaned with the catalog's rules."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from catalog.rules import clean_language, clean_text, squash_spaces
from shelfmark.errors import RuleError

MAX_SUBJECTS = 15  # Open Library lists dozens for classics; a form wants the main ones


class Outcome(enum.StrEnum):
    """How an ISBN's lookup ended."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class BookMetadata:
    """A book as Open Library describes it, cleaned with the catalog's rules."""

    title: str
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    year: int | None = None
    language: str = ""  # ISO 639-1 where there is one, else 639-2/3
    pages: int | None = None
    subjects: tuple[str, ...] = ()
    description: str = ""
    cover_url: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authors"], data["subjects"] = list(self.authors), list(self.subjects)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BookMetadata:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["authors"] = tuple(known.get("authors", ()))
        known["subjects"] = tuple(known.get("subjects", ()))
        return cls(**known)


def metadata_from(
    record: Mapping[str, Any], edition: Mapping[str, Any], work: Mapping[str, Any]
) -> BookMetadata | None:
    """The Books API's record (jscmd=data), with the edition's and work's extras; None for a
    record without a title, of no use to a catalog."""
    title = squash_spaces(record.get("title") if isinstance(record.get("title"), str) else "")
    if not title:
        return None
    publishers = _names(record.get("publishers")) or _names(edition.get("publishers"))
    subjects = _names(record.get("subjects")) or _names(work.get("subjects"))
    return BookMetadata(
        title=title[:500],
        subtitle=squash_spaces(str(record.get("subtitle") or ""))[:500],
        authors=tuple(dict.fromkeys(name[:255] for name in _names(record.get("authors")))),
        publisher=publishers[0][:255] if publishers else "",
        year=_year(record.get("publish_date") or edition.get("publish_date")),
        language=_language(edition),
        pages=_pages(record.get("number_of_pages"), edition.get("number_of_pages")),
        subjects=tuple(dict.fromkeys(name[:255] for name in subjects))[:MAX_SUBJECTS],
        description=(_text(edition.get("description")) or _text(work.get("description")))[:20_000],
        cover_url=_cover_url(record, edition),
    )


def _text(value: Any) -> str:
    """A description or note: a string, or {"type": "/type/text", "value": "..."}."""
    if isinstance(value, dict):
        value = value.get("value")
    return clean_text(value) if isinstance(value, str) else ""


def _names(items: Any, key: str = "name") -> list[str]:
    names = []
    for item in items if isinstance(items, list) else []:
        name = item.get(key) if isinstance(item, dict) else item
        if isinstance(name, str) and squash_spaces(name):
            names.append(squash_spaces(name))
    return names


def _year(publish_date: Any) -> int | None:
    """ "1998", "March 4, 2003", "2003-01-01", "c1975": the first plausible year in it."""
    for match in re.findall(r"(?<!\d)(\d{4})(?!\d)", str(publish_date or "")):
        if 1000 <= int(match) <= 2100:
            return int(match)
    return None


def _pages(*candidates: Any) -> int | None:
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000:
            return value
    return None


def _language(edition: Mapping[str, Any]) -> str:
    """/languages/eng (MARC's codes) -> "en"; the three-letter code when 639-1 has none."""
    # Imported by the first answer read: iso639's table is ~14 MB (interchange.languages).
    from iso639 import Lang
    from iso639.exceptions import InvalidLanguageValue

    for key in _names(edition.get("languages"), key="key"):
        code = key.rsplit("/", 1)[-1]
        try:
            language = Lang(code)
        except InvalidLanguageValue:
            continue
        try:
            return clean_language(language.pt1 or language.pt3)
        except RuleError:
            continue
    return ""


def _cover_url(record: Mapping[str, Any], edition: Mapping[str, Any]) -> str:
    covers = record.get("cover")
    if isinstance(covers, dict):
        for size in ("large", "medium"):
            if isinstance(covers.get(size), str):
                return str(covers[size])
    ids = [cover for cover in edition.get("covers") or [] if isinstance(cover, int) and cover > 0]
    return f"{settings.OPENLIBRARY_COVERS_URL}/b/id/{ids[0]}-L.jpg" if ids else ""
