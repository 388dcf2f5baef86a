"""Language codes between MARC (ISO 639-2, bibliographic form: "fre", "ger") and the catalog
(ISO 639-1 when a language has one: "fr", "de"; else its three-letter code: "grc")."""

from __future__ import annotations

from functools import lru_cache

from iso639 import Lang
from iso639.exceptions import InvalidLanguageValue

# MARC's codes that name no language: blank (obsolete "no code"), undetermined, no linguistic
# content, multiple languages. The catalog says "unknown" with "".
NO_LANGUAGE = frozenset({"", "und", "zxx", "mul", "|||"})


@lru_cache(maxsize=1024)
def _lang(code: str) -> Lang | None:
    try:
        return Lang(code)
    except InvalidLanguageValue:
        pass
    try:  # Lang() looks up names and 639-1/2T/3 codes; 639-2/B ("fre", "ger") only this way
        return Lang(pt2b=code)
    except InvalidLanguageValue:
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
