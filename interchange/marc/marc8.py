"""MARC-8 -> Unicode that says what it could not read.

pymarc's decoder (``pymarc.marc8.MARC8ToUnicode``) reads past whatever it does not understand
without a word: an escape sequence naming no character set swallows the byte after it
("linn\\x1b)\\xe2eenne" -> "linneenne"), a byte with no character becomes a space, control bytes
vanish, and an accent with no letter after it is dropped ("La Soci\\xe2et\\xe2" -> "La Sociét").
This decoder follows the same tables (``pymarc.marc8_mapping``) and the MARC-8 specification
(https://www.loc.gov/marc/specifications/speccharmarc8.html), so clean text decodes exactly as
pymarc decodes it; each place it cannot read becomes U+FFFD (visible, never silent) and a note
in ``damage``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from pymarc.marc8_mapping import CODESETS, ODD_MAP

ESCAPE = 0x1B
BASIC_LATIN = 0x42  # ASCII, the G0 set a field starts with
ANSEL = 0x45  # Extended Latin, the G1 set a field starts with
MULTIBYTE = 0x31  # East Asian (EACC): three bytes a character
# ESC ( F / ESC , F and ESC $ F / ESC $ , F designate G0; ESC ) F / ESC - F and ESC $ ) F /
# ESC $ - F designate G1.
_G0 = frozenset(b"(,")
_G1 = frozenset(b")-")
# ESC g, ESC b, ESC p switch G0 to Greek symbols, subscripts, superscripts; ESC s back to ASCII.
_TECHNIQUE_1 = {ord("g"): 0x67, ord("b"): 0x62, ord("p"): 0x70, ord("s"): BASIC_LATIN}
# Non-sort markers and joiners: control characters MARC-8 defines, which carry no letter.
_SILENT = frozenset({0x88, 0x89, 0x8D, 0x8E})
REPLACEMENT = "\ufffd"


@dataclass(slots=True)
class Marc8Text:
    text: str
    damage: list[str] = field(default_factory=list)  # what could not be read, in words


def decode_marc8(data: bytes) -> Marc8Text:
    """One subfield's MARC-8 bytes (a field starts in ASCII and ANSEL), in Unicode NFC."""
    result = Marc8Text("")
    if data.isascii() and ESCAPE not in data and not _has_controls(data):
        result.text = data.decode("ascii")
        return result
    g0, g1 = BASIC_LATIN, ANSEL
    out: list[str] = []
    accents: list[str] = []  # MARC-8 writes an accent before its letter; Unicode after
    position, end = 0, len(data)
    while position < end:
        byte = data[position]
        if byte == ESCAPE:
            position, g0, g1 = _escape(data, position, g0, g1, result, out)
            continue
        if g0 == MULTIBYTE and byte < 0x80:
            if position + 3 > end:
                _damaged(
                    result,
                    out,
                    _("an East Asian character cut short at byte %(position)s")
                    % {"position": position},
                )
                break
            code = int.from_bytes(data[position : position + 3], "big")
            position += 3
            entry = CODESETS[MULTIBYTE].get(code)
        else:
            position += 1
            if byte < 0x20 or byte == 0x7F or 0x80 <= byte < 0xA0:
                if byte not in _SILENT:
                    _damaged(result, out, _("control byte %(byte)s") % {"byte": f"0x{byte:02x}"})
                continue
            if byte == 0x20:  # the space is the same in every set
                out.append(" ")
                out.extend(accents)
                accents.clear()
                continue
            entry = CODESETS[g1 if byte >= 0x80 else g0].get(byte)
            code = byte
        if entry is None:
            odd = ODD_MAP.get(code)
            if odd is None:
                _damaged(
                    result,
                    out,
                    _("%(byte)s is no character of the current set") % {"byte": f"0x{code:02x}"},
                )
                continue
            out.append(chr(odd))
            continue
        character, combining = entry
        if combining:
            accents.append(chr(character))
        else:
            out.append(chr(character))
            out.extend(accents)
            accents.clear()
    if accents:
        _damaged(result, out, _("an accent with no letter after it, at the end"))
    result.text = unicodedata.normalize("NFC", "".join(out))
    return result


def _escape(
    data: bytes, position: int, g0: int, g1: int, result: Marc8Text, out: list[str]
) -> tuple[int, int, int]:
    """Reads the escape sequence at ``position``; returns where reading goes on and the sets.
    A sequence that names no set is reported and only its ESC (and intermediates) are skipped:
    the byte after it is read as text, since it most often is text (a dropped accent)."""
    following = data[position + 1 : position + 2]
    if following and following[0] in _TECHNIQUE_1:
        return position + 2, _TECHNIQUE_1[following[0]], g1
    intermediates = data[position + 1 : position + 3]
    multibyte = intermediates[:1] == b"$"
    start = position + 2 if multibyte else position + 1
    designator = data[start : start + 1]
    if multibyte and designator and designator[0] not in _G0 | _G1:
        # ESC $ F: a multibyte G0 set without its intermediate
        final_at, target = start, "g0"
    elif designator and designator[0] in _G0:
        final_at, target = start + 1, "g0"
    elif designator and designator[0] in _G1:
        final_at, target = start + 1, "g1"
    else:
        _damaged(
            result,
            out,
            _("an escape sequence that names no character set at %(position)s")
            % {"position": position},
        )
        return position + 1, g0, g1
    final = data[final_at : final_at + 1]
    if not final or final[0] not in CODESETS:
        shown = data[position : final_at + 1].hex(" ")
        _damaged(
            result,
            out,
            _("an escape sequence that names no character set (%(bytes)s)") % {"bytes": shown},
        )
        return final_at, g0, g1
    if target == "g0":
        return final_at + 1, final[0], g1
    return final_at + 1, g0, final[0]


def _damaged(result: Marc8Text, out: list[str], what: str) -> None:
    result.damage.append(what)
    out.append(REPLACEMENT)


def _has_controls(data: bytes) -> bool:
    return any(byte < 0x20 or byte == 0x7F for byte in data)
