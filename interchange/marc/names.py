"""Name headings (100/700 personal, 110/710 corporate) <-> the catalog's "First Last" names.

Catalogers invert personal names: 100 1_ $a "Austen, Jane," $d "1775-1817." The first
indicator says which form $a has: 0 forename ("Homer", "Elizabeth II"), 1 surname (inverted),
3 family name. Writing inverts a name only when reading can undo it exactly:

- one word, or a name with a comma ("Sammy Davis, Jr.", "Austen, Jane" kept as typed) -> kept
  as written, first indicator 0;
- "J. R. R. Tolkien" -> 1_ $a "Tolkien, J. R. R." (the last word is the surname, so particles
  stay with the forenames: "Beethoven, Ludwig van", as the Library of Congress writes it);
- a suffix ("Martin Luther King Jr.") goes to $c: 1_ $a "King, Martin Luther," $c "Jr.".
"""

from __future__ import annotations

from pymarc import Field, Indicators, Subfield

from interchange.marc.punctuation import strip_isbd, with_separator, with_terminal_period

SUFFIXES = frozenset({"Jr.", "Sr.", "II", "III", "IV", "V", "VI"})
FORENAME, SURNAME = "0", "1"


def name_from_field(field: Field) -> str:
    """The name a 100/700 (personal) or 110/710 (corporate) field gives, "First Last"; dates
    ($d), fuller forms ($q) and relator terms ($e) stay out."""
    if field.tag in ("110", "710"):
        # "$a United States. $b Congress." -> "United States. Congress"
        return strip_isbd(" ".join(field.get_subfields("a", "b")))
    surname_first = (field.indicator1 or " ") == SURNAME
    name = strip_isbd(" ".join(field.get_subfields("a")))
    if surname_first and ", " in name:
        surname, forenames = name.split(", ", 1)
        name = f"{forenames} {surname}"
    # $b numeration ("II") and a $c that is a suffix ("Jr.") belong to the name; other $c
    # ("Sir", "Saint", "Queen of Great Britain") are titles, left out.
    extras = [strip_isbd(value) for value in field.get_subfields("b")]
    extras += [c for c in (strip_isbd(v) for v in field.get_subfields("c")) if c in SUFFIXES]
    return " ".join([name, *extras]) if extras else name


def field_for_name(tag: str, name: str) -> Field:
    """A 100 or 700 field for a "First Last" name that ``name_from_field`` reads back
    exactly (the module's docstring says how)."""
    words = name.split(" ")
    suffix = words[-1] if len(words) >= 3 and words[-1] in SUFFIXES else ""
    if suffix:
        words = words[:-1]
    if len(words) < 2 or "," in name:
        return _field(tag, FORENAME, [("a", with_terminal_period(name))])
    inverted = f"{words[-1]}, {' '.join(words[:-1])}"
    if suffix:
        return _field(
            tag,
            SURNAME,
            [("a", with_separator(inverted, ",")), ("c", with_terminal_period(suffix))],
        )
    return _field(tag, SURNAME, [("a", with_terminal_period(inverted))])


def _field(tag: str, first_indicator: str, subfields: list[tuple[str, str]]) -> Field:
    return Field(
        tag=tag,
        indicators=Indicators(first_indicator, " "),
        subfields=[Subfield(code=code, value=value) for code, value in subfields],
    )
