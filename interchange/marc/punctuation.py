"""ISBD punctuation: catalogers end a subfield with the mark that introduces the next one
("Pride and prejudice /", "Austen, Jane,", "London : $b Penguin,") and end a field with a
period. Reading takes exactly one such mark off; writing adds one only where reading will take
it off again, so that ``strip_isbd(with_terminal_period(s)) == s`` and
``strip_isbd(with_separator(s, " :")) == s`` for every text ``s``."""

from __future__ import annotations

# Marks that close a subfield before the next one: " /" before a statement of responsibility,
# " :" before a subtitle or publisher, " ;" and " =" before series numbers and parallel titles.
SEPARATORS = (" /", " :", " ;", " =", ",")

# Words whose final period belongs to the word, not to the punctuation (lower case, no period).
ABBREVIATIONS = frozenset(
    {
        "jr",
        "sr",
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "mt",
        "ft",
        "co",
        "corp",
        "inc",
        "ltd",
        "bros",
        "esq",
        "rev",
        "prof",
        "col",
        "gen",
        "capt",
        "sgt",
        "lt",
        "ed",
        "eds",
        "vol",
        "vols",
        "no",
        "nos",
        "pt",
        "pts",
        "ca",
        "etc",
        "al",
        "approx",
        "dept",
        "univ",
        "assn",
    }
)


def _period_is_part_of_word(text: str) -> bool:
    """Whether the final period of ``text`` belongs to its last word: an initial ("J."), an
    abbreviation ("Jr.", "U.S.")."""
    word = text[:-1].rsplit(" ", 1)[-1]
    if not word or not word[-1].isalpha():
        return False  # "Cher.." or "1999." or "Why?." : the period is punctuation
    return len(word) == 1 or "." in word or word.lower() in ABBREVIATIONS


def strip_isbd(text: str) -> str:
    """``text`` without one closing ISBD mark: a separator (" /", " :", " ;", " =", ",") or a
    final period that is not part of an initial or an abbreviation."""
    text = text.rstrip()
    for separator in SEPARATORS:
        if text.endswith(separator):
            return text[: -len(separator)].rstrip()
    if text.endswith(".") and not _period_is_part_of_word(text):
        return text[:-1].rstrip()
    return text


def with_separator(text: str, separator: str) -> str:
    """``text`` as the subfield before another one introduced by ``separator``."""
    return text + separator


def with_terminal_period(text: str) -> str:
    """``text`` as the last subfield of a field: with the period catalogers put there, unless
    it already ends a sentence ("Why?", "Jr.") or a period would read as part of a word ("B")."""
    if not text:
        return text
    if text[-1] in ".?!" and strip_isbd(text) == text:
        return text
    if strip_isbd(text + ".") == text:
        return text + "."
    # strip_isbd(text) == text here: a text that reading would change ends in a mark that a
    # period after it always protects (the branch above), so the text is safe as it is.
    return text


def protected(text: str) -> str:
    """``text`` as a subfield that is followed by another one without a separator (subject
    subdivisions): a period is added only when reading would otherwise change the text."""
    return text if strip_isbd(text) == text else text + "."
