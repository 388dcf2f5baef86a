"""Cells of the CSV files Shelfmark writes and reads: several values in one cell, and cells kept
inert in a spreadsheet.

Multi-value cells of our own CSV layout (authors, subjects): items are separated by ";", and an
item that contains ";" or "\\" writes it as "\\;" or "\\\\". A "\\" before anything else is kept
as written, so a hand-made file with a stray backslash reads as the person meant.

Formulas: in the files Shelfmark writes (exports, the import's error report),
a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some
strip a leading tab or carriage return first): a title such as ``=HYPERLINK(…)`` in an
export would run on the librarian's computer. Such a cell is written with a leading apostrophe,
which spreadsheets show as text and do not display. The CSV reader takes exactly that apostrophe
off again (``readable``), so an export imported and exported again is the same file.

A value that already starts with apostrophes before a formula character ("'=x") gets one more,
so that taking one off always gives the value back; an apostrophe before anything else ("'tis")
is the value's own and is left alone both ways.
"""

from __future__ import annotations

LIST_SEPARATOR = ";"
_LIST_JOINER = "; "

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARK = "'"


def join_list(items: list[str]) -> str:
    """Several values in one cell, as ``split_list`` reads them back."""
    return _LIST_JOINER.join(
        item.replace("\\", "\\\\").replace(LIST_SEPARATOR, "\\" + LIST_SEPARATOR) for item in items
    )


def split_list(cell: str, separator: str = LIST_SEPARATOR) -> list[str]:
    """The values of a multi-value cell: split at ``separator`` (one character, unless escaped
    with "\\"), each stripped, blanks dropped (a trailing separator is common in hand-made
    files)."""
    if "\\" not in cell:
        if separator not in cell:
            cell = cell.strip()
            return [cell] if cell else []
        items = [part.strip() for part in cell.split(separator)]
        return items if "" not in items else [item for item in items if item]
    items = []
    current: list[str] = []
    position, end = 0, len(cell)
    while position < end:
        ch = cell[position]
        following = cell[position + 1] if position + 1 < end else ""
        if ch == "\\" and following in (separator, "\\"):
            current.append(following)
            position += 2
            continue
        if ch == separator:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        position += 1
    items.append("".join(current))
    return [item for item in (part.strip() for part in items) if item]


def _would_run(text: str) -> bool:
    """A formula character first, perhaps behind apostrophes a reader would take off."""
    return text.lstrip(_MARK).startswith(FORMULA_STARTS)


def inert(text: str) -> str:
    """The text as a CSV cell a spreadsheet shows and never runs."""
    if text.startswith(FORMULA_STARTS) or (text.startswith(_MARK) and _would_run(text)):
        return _MARK + text
    return text


def readable(cell: str) -> str:
    """The value an ``inert`` cell holds: one leading apostrophe off when what follows would
    have run; any other cell as it is."""
    if cell.startswith(_MARK) and _would_run(cell[1:]):
        return cell[1:]
    return cell
