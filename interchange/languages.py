"""Language codes between MARC (ISO 639-2, bibliographic form: "fre", "ger") and the catalog
(ISO 639-1 when a language has one: "fr", "de"; else its three-letter code: "grc").

Every reader normalises a language the same way: MARC through ``from_marc``, the text and JSON
files through ``catalog_code`` (which also takes a language's English name, as spreadsheets and
reading apps write it), so "eng", "en" and "English" are one language whatever the format."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iso639 import Lang

# MARC's codes that name no language: blank (obsolete "no code"), undetermined, no linguistic
# content, multiple languages. The catalog says "unknown" with "".
NO_LANGUAGE = frozenset({"", "und", "zxx", "mul", "|||"})


@lru_cache(maxsize=1024)
def _lang(code: str) -> Lang | None:
    # iso639 loads its whole table (~14 MB) on import: it is imported by the first look-up (an
    # import or a language typed in a form), not by every web worker at startup.
    from iso639 import Lang
    from iso639.exceptions import DeprecatedLanguageValue, InvalidLanguageValue

    # A withdrawn code ("sh", Serbo-Croatian, withdrawn in 2000) raises its own error: it is
    # kept as written, like any code the standard does not list now.
    try:
        return Lang(code)
    except InvalidLanguageValue:
        pass
    except DeprecatedLanguageValue:
        return None
    try:  # Lang() looks up names and 639-1/2T/3 codes; 639-2/B ("fre", "ger") only this way
        return Lang(pt2b=code)
    except (InvalidLanguageValue, DeprecatedLanguageValue):
        return None


def _looks_like_code(code: str) -> bool:
    # Lang() also takes a language's name ("French"): a code field must not.
    return code.isascii() and code.isalpha() and len(code) in (2, 3)


def from_marc(code: str) -> str:
    """A MARC language code ("eng", "fre", "fra") -> the catalog's ("en", "fr"); a code without
    a two-letter form stays as it is ("grc"); an unknown code is kept (lower case) for the
    catalog's language rule to judge; "no language" codes become ""."""
    code = code.strip().lower()
    if code in NO_LANGUAGE:
        return ""
    lang = _lang(code) if _looks_like_code(code) else None
    if lang is None:
        return code
    return lang.pt1 or lang.pt2b or lang.pt3 or code


def to_marc(code: str) -> str:
    """The catalog's code ("en", "grc") -> MARC's three-letter bibliographic code ("eng",
    "grc"); "" -> ""; an unknown code is returned as given (lower case)."""
    code = code.strip().lower()
    if not code:
        return ""
    lang = _lang(code) if _looks_like_code(code) else None
    if lang is None:
        return code
    return lang.pt2b or lang.pt3 or code


@lru_cache(maxsize=1024)  # a file names few languages, on every row
def catalog_code(value: str) -> str:
    """A language as a file gives it -- an ISO 639 code of any part ("en", "eng", "fre", "fra")
    or its English name ("English", "french") -- as the catalog stores it ("en"), the way
    ``from_marc`` reads MARC's codes. A code or name nobody knows stays as written (a code in
    lower case) for the catalog's language rule to judge."""
    text = value.strip()
    if not text:
        return ""
    if _looks_like_code(text) or text.lower() in NO_LANGUAGE:
        return from_marc(text)
    return _from_name(text)


@lru_cache(maxsize=512)
def _from_name(name: str) -> str:
    from iso639 import Lang
    from iso639.exceptions import DeprecatedLanguageValue, InvalidLanguageValue

    for spelling in dict.fromkeys((name, name.title(), name.capitalize())):
        try:
            language = Lang(spelling)
        except (InvalidLanguageValue, DeprecatedLanguageValue):
            continue
        return language.pt1 or language.pt2b or language.pt3 or name
    return name
