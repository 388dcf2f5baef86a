"""ISBN handling: python-stdnum does the arithmetic; this module gives Shelfmark's rules.

Input may be ISBN-10 or ISBN-13, with or without hyphens or spaces. The stored form is always
the ISBN-13 digits, so one book has exactly one spelling in the database.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.util import clean

_ISBN_SHAPE = re.compile(r"^[0-9]+X?$")


class IsbnError(ValueError):
    """A string that is not a valid ISBN; the message says why, in words for a person."""


def normalize_isbn(value: str) -> str:
    """Return the ISBN-13 digits for ``value`` or raise IsbnError saying what is wrong."""
    # Not stdnum's compact(): it silently turns a 9-digit SBN into an ISBN-10.
    # A plain run of digits, as scanners and exports give it, needs no cleaning.
    compact = value if value.isdigit() and value.isascii() else clean(value, " -").strip().upper()
    # Shape first, in our words (stdnum reports a 1-digit input as a format error, say).
    if not _ISBN_SHAPE.match(compact):
        raise IsbnError(
            _(
                "'%(value)s' is not a number: an ISBN has only digits (and an X as the last "
                "character of an ISBN-10)."
            )
            % {"value": value}
        )
    if len(compact) == 13 and compact.endswith("X"):
        raise IsbnError(
            _("'%(value)s' ends in X: only an ISBN-10 may end in X; an ISBN-13 has only digits.")
            % {"value": value}
        )
    if len(compact) not in (10, 13):
        raise IsbnError(
            _(
                "An ISBN has 10 or 13 digits; '%(value)s' has %(count)d (hyphens and spaces are "
                "ignored)."
            )
            % {"value": value, "count": len(compact)}
        )
    try:
        stdnum_isbn.validate(compact)
    except InvalidChecksum:
        raise IsbnError(
            _("'%(value)s' has a wrong check digit: check it was typed correctly.")
            % {"value": value}
        ) from None
    except (InvalidComponent, InvalidFormat, InvalidLength):
        raise IsbnError(
            _("'%(value)s' is not an ISBN: an ISBN-13 starts with 978 or 979.") % {"value": value}
        ) from None
    return compact if len(compact) == 13 else stdnum_isbn.to_isbn13(compact)


def try_normalize_isbn(value: str) -> str | None:
    """The ISBN-13 for ``value`` when it is a valid ISBN, else None (for search input)."""
    try:
        return normalize_isbn(value)
    except IsbnError:
        return None


def isbn10_or_none(isbn13: str) -> str | None:
    """The ISBN-10 form of a 978-prefixed ISBN-13 (979 ones have no ISBN-10)."""
    return stdnum_isbn.to_isbn10(isbn13) if isbn13.startswith("978") else None


def format_isbn(isbn13: str) -> str:
    """Hyphenated display form, e.g. 978-0-14-143951-8."""
    return stdnum_isbn.format(isbn13)
