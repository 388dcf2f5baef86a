"""Is decoded text what a person wrote? Text read in the wrong encoding often decodes without an
error and still is not text: Windows-1251 Russian read as MARC-8 is a string of accents on
nothing ("℗ ̋̌̉̕ ̈"), MARC-8 escapes read as UTF-8 leave control characters behind. These checks
need no language model: they look for what no writing system produces.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

REPLACEMENT = "\ufffd"
# Ligature halves (U+FE20-FE23): MARC-8 writes the tie of "t͡s" in romanized Cyrillic as two
# half marks, which never compose with their letter.
_LIGATURE_HALVES = frozenset("\ufe20\ufe21\ufe22\ufe23")
# Accents that Western European text (and its MARC-8) puts on letters, in MARC-8 order of
# frequency: acute, grave, circumflex, diaeresis, tilde, cedilla, ring.
_COMMON_ACCENTS = frozenset("\u0301\u0300\u0302\u0308\u0303\u0327\u030a")
_MOST_ACCENTS_IN_A_ROW = 2  # Vietnamese stacks two (ệ); nothing stacks three
# What ``text_damage`` calls bytes that were not decoded (its words are for the report, in the
# reader's language; callers compare with this one).
UNDECODABLE_BYTES = gettext_lazy("undecodable bytes")


def text_damage(text: str, *, accents: bool = True) -> list[str]:
    """What in ``text`` no person wrote, in words ([] when nothing): undecodable bytes (shown
    as U+FFFD or as lone surrogates), control characters, and with ``accents`` accents on no
    letter (at the start, on a space, a digit or punctuation) or stacked three and more. Leave
    the accents out for text that was valid UTF-8: no wrong decoding makes stray accents of
    valid UTF-8, while a writing system (and the catalog) may well start a value with one."""
    if text.isascii() and text.isprintable():
        return []
    damage: list[str] = []
    if REPLACEMENT in text or any("\udc80" <= ch <= "\udcff" for ch in text):
        damage.append(str(UNDECODABLE_BYTES))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        damage.append(_("control characters"))
    if not accents:
        return damage
    previous, run = "", 0
    stray = stacked = False
    for ch in text:
        if unicodedata.combining(ch) or ch in _LIGATURE_HALVES:
            run += 1
            if run == 1 and not previous.isalpha():
                stray = True
            if run > _MOST_ACCENTS_IN_A_ROW:
                stacked = True
        else:
            previous, run = ch, 0
    if stray:
        damage.append(_("accents on no letter"))
    if stacked:
        damage.append(_("accents stacked three and more"))
    return damage


def accents_plainly_written(text: str) -> bool:
    """Whether the accents of ``text`` (in NFC) are what a text in a Latin script would have:
    every accent composes with its letter into one character (or is a ligature half), and most
    are the common Western ones. Used to accept a reading the file did not declare: MARC-8 bytes
    read as MARC-8 pass; Latin-1 bytes read as MARC-8 make carons and hooks on the next letter
    ("Pr\\xe9de" -> "Prďe"), which fail."""
    marks = [
        ch
        for ch in unicodedata.normalize("NFD", text)
        if unicodedata.combining(ch) and ch not in _LIGATURE_HALVES
    ]
    if any(unicodedata.combining(ch) for ch in text if ch not in _LIGATURE_HALVES):
        return False  # an accent NFC could not put on its letter
    common = sum(1 for mark in marks if mark in _COMMON_ACCENTS)
    return common * 2 >= len(marks)


# The code pages Russian (and other Cyrillic) catalogs were written in before Unicode, and what
# to call them in a report.
CYRILLIC_CODE_PAGES = {
    "cp1251": gettext_lazy("Windows-1251 (Cyrillic)"),
    "koi8_r": gettext_lazy("KOI8-R (Cyrillic)"),
    "cp866": gettext_lazy("DOS 866 (Cyrillic)"),
}
# Signs Cyrillic text in those code pages has beside its letters: guillemets, en and em dash,
# the numero sign, low and high quotes, the ellipsis, the no-break space.
_CYRILLIC_SIGNS = frozenset("«»\u2013\u2014\u2116\u201e\u201c\u201d\u2026\u00a0")


def guess_cyrillic(data: bytes) -> str | None:
    """The Cyrillic code page ``data`` (a record's text, its non-ASCII bytes in one legacy
    code page) is written in, or None when it is not plainly Cyrillic text in one of them.
    Plainly: every non-ASCII byte decodes to a Cyrillic letter or a sign Cyrillic text uses,
    there are more Cyrillic letters than Latin ones, no word mixes the two (MARC-8 accents read
    as Windows-1251 make "Sociвetвe"), and one code page reads the most frequent letters of
    Russian clearly more often than the others (each code page turns the others' bytes into
    Cyrillic letters too, but into rare ones)."""
    if data.isascii():
        return None
    shares: dict[str, float] = {}
    for encoding in CYRILLIC_CODE_PAGES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if (share := _frequent_letter_share(text)) is not None:
            shares[encoding] = share
    ranked = sorted(shares.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] < _LEAST_SHARE:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _LEAST_MARGIN:
        return None
    return ranked[0][0]


# The ten most frequent letters of Russian (o, e, a, i, n, t, s, r, v, l in transliteration)
# make about 60 % of its letters; a code page read as another gives 20-40 %.
_FREQUENT_LETTERS = frozenset("оеаинтсрвл")
_LEAST_SHARE = 0.45
_LEAST_MARGIN = 0.15


def _frequent_letter_share(text: str) -> float | None:
    """The share of the most frequent Russian letters among the Cyrillic letters of ``text``,
    or None when ``text`` is not Cyrillic writing at all."""
    if any(ch > "\x7f" and not _is_cyrillic(ch) and ch not in _CYRILLIC_SIGNS for ch in text):
        return None
    cyrillic: list[str] = []
    latin = mixed = words = 0
    for word in text.split():
        letters = [ch for ch in word if ch.isalpha()]
        in_cyrillic = [ch for ch in letters if _is_cyrillic(ch)]
        if not in_cyrillic:
            latin += len(letters)
            continue
        words += 1
        cyrillic += [ch.lower() for ch in in_cyrillic]
        latin += len(letters) - len(in_cyrillic)
        # Latin letters in a Cyrillic word, or a capital after a small letter ("тЯОъАР": Greek
        # read as KOI8-R): no one writes that.
        if len(in_cyrillic) < len(letters) or any(
            before.islower() and after.isupper() for before, after in pairwise(letters)
        ):
            mixed += 1
    if len(cyrillic) <= latin or mixed * 10 > words:
        return None
    return sum(1 for ch in cyrillic if ch in _FREQUENT_LETTERS) / len(cyrillic)


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"
