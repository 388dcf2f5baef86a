"""What damage found in a MARC record costs it: a problem (the record is refused) or a warning
(it goes in; the report says what was noticed), by what the damaged place feeds. Binary MARC
and MARCXML report alike."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.formats.integrity import CYRILLIC_CODE_PAGES
from interchange.marc.decoding import MARC8, UTF8, FieldDamage
from interchange.marc.mapping import field_read_from
from interchange.records import BookRecord, Problem

# How damage found in a record is reported, by what the damaged place feeds (``report_damage``).
# Text that names the book or links it to shared rows (its title, its authors, its subjects) is
# never imported mangled: a mangled title or author hides the book from searches and from
# duplicate matching, and a mangled author or subject becomes a row other books then link to.
# The record is refused, for the library to export it again. Damaged text elsewhere (publisher,
# description, call numbers…) belongs to this book alone and shows as U+FFFD where characters
# were lost: it goes in with a warning, which --strict turns into a refusal.
REFUSED_WHEN_DAMAGED = frozenset({"title", "subtitle", "authors", "subjects"})

# The reasons are lazy (module constants), each made text where a report's line is made, in the
# language the record is read in; typed as the text they read as (``cast``: tests and callers
# compare them with a line's reason).
DAMAGED_TEXT_REFUSED = cast(
    str,
    gettext_lazy(
        "The text of the title, an author or a subject is damaged (characters lost, undecodable "
        "or unreadable): the record was left out, so that no mangled name enters the catalog. "
        "Export it again from the system it came from, in UTF-8 if it can."
    ),
)
DAMAGED_TEXT_KEPT = cast(
    str,
    gettext_lazy(
        "Part of the record's text is damaged (characters lost, undecodable or unreadable); it "
        "was imported as read, each lost character shown as �: correct it on the book's page "
        "(--strict refuses such records)."
    ),
)
DAMAGED_TEXT_UNUSED = cast(
    str,
    gettext_lazy(
        "The text of a field the import does not read is damaged; nothing of it was imported."
    ),
)
DAMAGED_FIELD_UNUSED = cast(
    str,
    gettext_lazy(
        "A field the import does not read is damaged (its directory entry or its indicators); the "
        "record was imported without it."
    ),
)
ENCODING_ASSUMED: dict[str, str] = {
    UTF8: cast(
        str,
        gettext_lazy(
            "The record's leader (position 09) says MARC-8, but its text is UTF-8: it was read "
            "as UTF-8."
        ),
    ),
    MARC8: cast(
        str,
        gettext_lazy(
            "The record's leader (position 09) says UTF-8, but its text is MARC-8: it was read "
            "as MARC-8."
        ),
    ),
}
CYRILLIC_ASSUMED = cast(
    str,
    gettext_lazy(
        "The record's text is in none of the encodings MARC allows (UTF-8, MARC-8) but plainly in "
        "a Cyrillic code page: it was read in the one the value names; check its titles and names "
        "(--strict refuses such records, or give the encoding with --encoding)."
    ),
)


def encoding_assumed(declared: str, encoding: str) -> Problem:
    """The warning for a record read in ``encoding`` although its leader ``declared`` another."""
    declared = "UTF-8" if declared == UTF8 else "MARC-8"
    if encoding in ENCODING_ASSUMED:
        return Problem(
            "",
            str(ENCODING_ASSUMED[encoding]),
            _("leader/09 says %(declared)s") % {"declared": declared},
        )
    name = CYRILLIC_CODE_PAGES.get(encoding, encoding)
    return Problem(
        "",
        str(CYRILLIC_ASSUMED),
        _("read as %(name)s; leader/09 says %(declared)s") % {"name": name, "declared": declared},
        refused_when_strict=True,
    )


def report_damage(book: BookRecord, damage: FieldDamage) -> None:
    """One damaged place of the record, as a problem or a warning (the comment above
    REFUSED_WHEN_DAMAGED says which); one line per field of ours and per kind, however many
    subfields share it."""
    where = f"{damage.tag} ${damage.code}" if damage.code else damage.tag
    what = (
        _("the directory says %(what)s") % {"what": damage.what}
        if damage.kind == "directory"
        else damage.what
    )
    value = f"{where}: {what}: {damage.value}"
    if damage.kind != "text":
        if field_read_from(damage.tag) is None:
            _add_once(book.warnings, Problem("", str(DAMAGED_FIELD_UNUSED), value))
        elif damage.kind == "directory":
            book.problems.append(
                Problem(
                    "",
                    _(
                        "The record's directory says field %(tag)s is %(what)s: the record is "
                        "damaged. Export it again from the system it came from."
                    )
                    % {"tag": damage.tag, "what": damage.what},
                    damage.value,
                )
            )
        else:
            book.problems.append(
                Problem(
                    "",
                    _(
                        "Field %(tag)s does not start with two indicators (letters, digits or "
                        "blanks) followed by a subfield: the record is damaged."
                    )
                    % {"tag": damage.tag},
                    damage.value,
                )
            )
        return
    ours = field_read_from(damage.tag, damage.code)
    if ours is None:
        _add_once(book.warnings, Problem("", str(DAMAGED_TEXT_UNUSED), value))
    elif ours in REFUSED_WHEN_DAMAGED:
        _add_once(book.problems, Problem(ours, str(DAMAGED_TEXT_REFUSED), value))
    else:
        _add_once(
            book.warnings,
            Problem(ours, str(DAMAGED_TEXT_KEPT), value, refused_when_strict=True),
        )


def _add_once(found: list[Problem], problem: Problem) -> None:
    """Adds ``problem`` unless one with its field and reason is there (the first value shows
    where)."""
    if not any(p.field == problem.field and p.reason == problem.reason for p in found):
        found.append(problem)
