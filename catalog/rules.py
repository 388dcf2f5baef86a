"""The catalog's field rules, each written once with one message.

A rule takes a raw value and returns it cleaned (normalized) or raises ``RuleError`` saying, in
words for a person, what is wrong. It knows nothing of where the value came from: the services
apply the rules to every write (API, admin, imports, demo data), the API's serializer fields and
the admin's forms call the same functions so that a person sees the same message at every door,
and a write that breaks several rules hears about all of them at once (``clean_fields``).
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.isbn import IsbnError, normalize_isbn
from catalog.models import YEAR_MAX, YEAR_MIN, LoanType
from shelfmark.errors import InvalidInput, RuleError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Rule = Callable[[Any], Any]


# Characters that are there without showing: control characters (Cc) and format characters
# (Cf: zero-width spaces and joiners, direction marks, the byte-order mark).
INVISIBLE = frozenset({"Cc", "Cf"})


def _without_controls(text: str, *, keep: str = "") -> str:
    """Control characters removed (but those in ``keep``): never meant in a catalog's text."""
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")


def _strip_invisible(text: str) -> str:
    """Format characters removed from the ends; inside a word they may matter (Persian and
    Indic scripts write with zero-width joiners), so they stay there."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) in INVISIBLE:
        start += 1
    while end > start and unicodedata.category(text[end - 1]) in INVISIBLE:
        end -= 1
    return text[start:end]


def squash_spaces(value: str | None) -> str:
    """One line of text in composed form (NFC, so "e" + combining accent and "é" are one
    spelling): runs of white space become one space, control characters go, and nothing
    invisible is left at the ends of a word."""
    if not value:
        return ""
    if value.isascii() and value.isprintable():
        # The common case, fast (imports clean millions of values): printable ASCII is already
        # in NFC and has no control or format characters.
        return " ".join(value.split())
    text = unicodedata.normalize("NFC", value)
    words = (_strip_invisible(_without_controls(word)) for word in text.split())
    return " ".join(word for word in words if word)


def clean_text(value: str | None) -> str:
    """Free text (a description, a note): as written, in NFC, without control characters other
    than line breaks and tabs, and without white space at the ends."""
    if not value:
        return ""
    if value.isascii() and value.isprintable():  # the common case, fast (see squash_spaces)
        return value.strip()
    text = unicodedata.normalize("NFC", value)
    return _without_controls(text, keep="\n\r\t").strip()


def clean_title(value: str | None) -> str:
    title = squash_spaces(value)
    if not title:
        raise RuleError(_("A book needs a title."))
    return title


def clean_name(value: str | None) -> str:
    """An author's or a subject's name: one line, not blank."""
    name = squash_spaces(value)
    if not name:
        raise RuleError(_("A name may not be blank."))
    return name


def sort_name_for(name: str) -> str:
    """'Jane Austen' -> 'Austen, Jane'; a single word stays as it is."""
    first, _space, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def clean_isbn(value: str | None) -> str | None:
    """ISBN-10 or ISBN-13 in any spelling -> the ISBN-13 digits; blank -> None (no ISBN)."""
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        return normalize_isbn(raw)
    except IsbnError as error:
        raise RuleError(str(error)) from None


def clean_language(value: str | None) -> str:
    """An ISO 639 code of two or three letters, stored in lower case; blank means unknown."""
    language = (value or "").strip().lower()
    if language and not (language.isascii() and language.isalpha() and 2 <= len(language) <= 3):
        raise RuleError(
            _("'%(code)s' is not an ISO 639 language code (two or three letters, e.g. 'en').")
            % {"code": language}
        )
    return language


def clean_scanned_code(
    value: str | None,
    *,
    what: str,
    missing: str,
    spaces: str | None = None,
    invisible: str | None = None,
) -> str:
    """What a label's barcode says (a copy's, a library card's): visible characters only, since
    a scanner types nothing else and an invisible one would make two labels that look alike
    differ. ``missing`` is the blank message; ``spaces`` and ``invisible`` are the whole
    sentences for the other two refusals (translated, in the active language). Without them,
    ``what`` names the code at the start of a sentence ("A barcode …"), a fragment whose
    translation must fit any sentence: prefer the whole sentences."""
    code = unicodedata.normalize("NFC", (value or "").strip())
    if not code:
        raise RuleError(missing)
    if any(ch.isspace() for ch in code):
        raise RuleError(
            spaces or _("%(what)s may not contain spaces.") % {"what": what},
        )
    if any(unicodedata.category(ch) in INVISIBLE for ch in code):
        raise RuleError(
            invisible
            or _("%(what)s may not contain invisible characters (such as zero-width spaces).")
            % {"what": what}
        )
    return code


def clean_barcode(value: str | None) -> str:
    return clean_scanned_code(
        value,
        what=_("A barcode"),
        missing=_("A copy needs a barcode."),
        spaces=_("A barcode may not contain spaces."),
        invisible=_("A barcode may not contain invisible characters (such as zero-width spaces)."),
    )


LOAN_TYPES = frozenset(LoanType.values)  # (``LoanType.values`` builds a new list each time)


def clean_loan_type(value: str | None) -> str:
    loan_type = (value or "").strip() or LoanType.NORMAL
    if loan_type not in LOAN_TYPES:
        raise RuleError(
            _("Unknown loan type '%(given)s'. Use one of: %(known)s.")
            % {"given": loan_type, "known": ", ".join(LoanType.values)}
        )
    return loan_type


COVER_MAX_BYTES = 5 * 1024 * 1024
# A few hundred KB of PNG can declare 10000 x 10000 pixels, which every thumbnail or page that
# decodes it would unpack to 300 MB: the pixels are capped as well as the bytes (40 megapixels
# is 5000 x 8000, far beyond any scanned cover).
COVER_MAX_PIXELS = 40_000_000
# What browsers show everywhere, by Pillow's name for the format: (file extension, media type).
COVER_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}


@dataclass(frozen=True)
class CoverImage:
    content: bytes
    extension: str
    content_type: str
    width: int
    height: int


def clean_cover(content: bytes) -> CoverImage:
    """A cover image's bytes, checked with Pillow: one of COVER_FORMATS, within COVER_MAX_BYTES
    and COVER_MAX_PIXELS (read from the header: nothing is decoded), and more than a placeholder
    pixel (Open Library answers 1x1 images for missing covers)."""
    from PIL import Image  # imported by the first cover checked: Pillow is ~5 MB per web worker

    if not content:
        raise RuleError(_("The cover file is empty."))
    if len(content) > COVER_MAX_BYTES:
        raise RuleError(
            _("A cover may be at most %(size)d MB.") % {"size": COVER_MAX_BYTES // (1024 * 1024)}
        )
    too_big = RuleError(
        _("A cover may be at most %(size)d megapixels.") % {"size": COVER_MAX_PIXELS // 1_000_000}
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; here that is a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                image_format, (width, height) = image.format, image.size
                if width * height > COVER_MAX_PIXELS:
                    raise too_big
                image.verify()  # reads the whole file: a truncated or forged one fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (OSError, SyntaxError, ValueError):
        raise RuleError(_("The cover is not an image file (JPEG, PNG, GIF or WebP).")) from None
    if image_format not in COVER_FORMATS:
        raise RuleError(
            _("A cover must be a JPEG, PNG, GIF or WebP image, not %(format)s.")
            % {"format": image_format}
            if image_format
            else _("A cover must be a JPEG, PNG, GIF or WebP image, not this format.")
        )
    if width < 2 or height < 2:
        raise RuleError(_("The cover image is empty (a placeholder of one pixel)."))

    extension, content_type = COVER_FORMATS[image_format]
    return CoverImage(content, extension, content_type, width, height)


@dataclass(frozen=True)
class NumberMessages:
    """A number rule's refusals as whole sentences (``gettext_lazy``), so each language words
    them its own way. Placeholders: ``%(text)s`` (what was written), ``%(value)s``,
    ``%(minimum)s`` and ``%(maximum)s``."""

    not_whole_text: StrOrPromise  # a text that is not a whole number
    not_whole: StrOrPromise  # a value that is not a whole number
    out_of_range: StrOrPromise


@dataclass(frozen=True)
class WholeNumberRange:
    """An optional whole number within bounds (the database checks the same bounds).
    ``messages`` words its refusals; without them, ``what`` names the number inside a
    sentence ("The {what} must be …"), a fragment whose translation must fit any sentence."""

    minimum: int
    maximum: int
    what: StrOrPromise
    messages: NumberMessages | None = None

    def _refusal(self, which: str, **values: Any) -> RuleError:
        if self.messages is not None:
            text = str(getattr(self.messages, which))
        else:
            text = {
                "not_whole_text": _("The %(what)s must be a whole number; '%(text)s' is not."),
                "not_whole": _("The %(what)s must be a whole number."),
                "out_of_range": _(
                    "The %(what)s must be from %(minimum)s to %(maximum)s; %(value)s is not."
                ),
            }[which]
        return RuleError(
            text % {"what": self.what, "minimum": self.minimum, "maximum": self.maximum, **values}
        )

    def from_text(self, value: str | int | None) -> int | None:
        """The rule for a number written as text (an import file's cell): blank is no value,
        and "12.5" or "about 300" is not a whole number."""
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            try:
                value = int(text) if text.lstrip("+-").isdigit() and text.isascii() else None
            except ValueError:  # signs twice: "+-5"
                value = None
            if value is None:
                raise self._refusal("not_whole_text", text=text)
        return self(value)

    def __call__(self, value: int | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._refusal("not_whole")
        if not self.minimum <= value <= self.maximum:
            raise self._refusal("out_of_range", value=value)
        return value


clean_year = WholeNumberRange(
    YEAR_MIN,
    YEAR_MAX,
    gettext_lazy("publication year"),
    NumberMessages(
        not_whole_text=gettext_lazy(
            "The publication year must be a whole number; '%(text)s' is not."
        ),
        not_whole=gettext_lazy("The publication year must be a whole number."),
        out_of_range=gettext_lazy(
            "The publication year must be from %(minimum)s to %(maximum)s; %(value)s is not."
        ),
    ),
)
clean_pages = WholeNumberRange(
    1,
    100_000,
    gettext_lazy("page count"),
    NumberMessages(
        not_whole_text=gettext_lazy("The page count must be a whole number; '%(text)s' is not."),
        not_whole=gettext_lazy("The page count must be a whole number."),
        out_of_range=gettext_lazy(
            "The page count must be from %(minimum)s to %(maximum)s; %(value)s is not."
        ),
    ),
)


class BookFields(TypedDict, total=False):
    """A book's own fields besides its title, as the services take them (authors and subjects
    are rows of their own, given as ids or names)."""

    subtitle: str
    isbn: str | None
    publisher: str
    year: int | None
    language: str
    pages: int | None
    description: str


class CopyFields(TypedDict, total=False):
    call_number: str
    location: str
    loan_type: str
    acquired_on: date | None
    note: str


# Every rule of a book's own fields (tests check these keys against BookFields and the model).
BOOK_RULES: Mapping[str, Rule] = {
    "title": clean_title,
    "subtitle": squash_spaces,
    "isbn": clean_isbn,
    "publisher": squash_spaces,
    "year": clean_year,
    "language": clean_language,
    "pages": clean_pages,
    "description": clean_text,
}

AUTHOR_RULES: Mapping[str, Rule] = {"name": clean_name, "sort_name": squash_spaces}
SUBJECT_RULES: Mapping[str, Rule] = {"name": clean_name}

COPY_RULES: Mapping[str, Rule] = {
    "barcode": clean_barcode,
    "call_number": squash_spaces,
    "location": squash_spaces,
    "loan_type": clean_loan_type,
    "acquired_on": lambda value: value,
    "note": clean_text,
}


def clean_fields(rules: Mapping[str, Rule], values: Mapping[str, Any]) -> dict[str, Any]:
    """Apply each field's rule to the values given; every problem is reported at once.

    Raises InvalidInput naming each broken field, and TypeError for a field that has no rule
    (a programming error, not bad input).
    """
    unknown = set(values) - set(rules)
    if unknown:
        raise TypeError(f"No rule for fields {sorted(unknown)}; known: {sorted(rules)}")
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, value in values.items():
        try:
            cleaned[name] = rules[name](value)
        except RuleError as error:
            problems[name] = [str(error)]
    if problems:
        raise InvalidInput.collect(problems)
    return cleaned
