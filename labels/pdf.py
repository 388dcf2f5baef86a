"""Label PDFs, drawn with reportlab: barcode labels (the library's name, the copy's barcode in
Code 128 or Code 39 with its text under it, a short title) and spine labels (the call number
split on lines, a short title).

Everything a label cannot show is refused before the first page is drawn (``check``), so a
sheet never comes out with a blank or unreadable label in the middle of it.
"""

from __future__ import annotations

import io
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import reportlab
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.barcode.code39 import Standard39
from reportlab.graphics.barcode.code128 import Code128Auto
from reportlab.graphics.barcode.common import Barcode
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from labels.kinds import CannotPrint, LabelCopy, LabelKind, Symbology, listed
from labels.layouts import Layout

# The narrowest bar a library's scanners read reliably from a laser or thermal print (7.5 mil),
# and the widest worth printing (13 mil, the usual "100 %" size): a barcode is drawn as wide as
# its label allows between the two, with quiet zones of 10 bars each side.
NARROWEST_BAR = 0.19 * mm
WIDEST_BAR = 0.33 * mm
QUIET_BARS = 10
CODE39_CHARACTERS = frozenset(string.ascii_uppercase + string.digits + "-. $/+%")
CODE128_CHARACTERS = frozenset(chr(code) for code in range(32, 127))


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


@cache
def fonts(font_file: str = "") -> Fonts:
    """TrueType fonts embedded in the PDF (the standard PDF fonts know only Latin-1): the
    file named by ``settings.LABEL_FONT_FILE`` (DejaVu Sans, say, for Greek or Cyrillic
    titles), else Bitstream Vera, which comes with reportlab."""
    if font_file:
        pdfmetrics.registerFont(TTFont("LabelFont", font_file))
        return Fonts("LabelFont", "LabelFont")
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont("Vera", str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("VeraBd", str(folder / "VeraBd.ttf")))
    return Fonts("Vera", "VeraBd")


def check(
    copies: Sequence[LabelCopy],
    *,
    layout: Layout,
    kind: LabelKind,
    start_at: int,
    symbology: Symbology,
) -> None:
    """Raise CannotPrint with every reason these labels cannot be printed as asked."""
    problems = []
    if not 1 <= start_at <= layout.per_page:
        problems.append(
            _(
                "start_at must be a position on the sheet, from 1 to %(count)d"
                " (%(layout)s has %(count)d labels a page)."
            )
            % {"count": layout.per_page, "layout": layout.name}
            if not layout.is_roll
            else _("start_at must be 1: %(layout)s is a roll, one label a page.")
            % {"layout": layout.name}
        )
    if not copies:
        problems.append(_("No copies to print labels for."))
    if kind is LabelKind.BARCODE:
        problems += _barcode_problems(copies, layout=layout, symbology=symbology)
    else:
        blank = [copy.barcode for copy in copies if not call_number_lines(copy.call_number)]
        if blank:
            problems.append(
                ngettext(
                    "%(count)d copy has no call number for a spine label: %(barcodes)s.",
                    "%(count)d copies have no call number for a spine label: %(barcodes)s.",
                    len(blank),
                )
                % {"count": len(blank), "barcodes": listed(blank)}
            )
    if problems:
        raise CannotPrint(problems)


def labels_pdf(
    copies: Sequence[LabelCopy],
    *,
    layout: Layout,
    kind: LabelKind,
    start_at: int = 1,
    symbology: Symbology = Symbology.CODE128,
    library_name: str = "",
    font_file: str = "",
    title: str = "",
) -> bytes:
    """The PDF of one label per copy, in order, the first at position ``start_at`` of the
    first page. Its fixed texts (the document's title) are in the active language."""
    check(copies, layout=layout, kind=kind, start_at=start_at, symbology=symbology)
    face = fonts(font_file)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(layout.page_width, layout.page_height), pageCompression=1)
    canvas.setTitle(title or _("Labels"))
    canvas.setCreator("Shelfmark")
    position = start_at - 1
    for copy in copies:
        if position == layout.per_page:
            canvas.showPage()
            position = 0
        x, y = layout.origin(position)
        if kind is LabelKind.BARCODE:
            _barcode_label(canvas, copy, x, y, layout, face, symbology, library_name)
        else:
            _spine_label(canvas, copy, x, y, layout, face)
        position += 1
    canvas.save()  # shows the last page
    return out.getvalue()


def call_number_lines(call_number: str) -> list[str]:
    """A call number as it goes on a spine: one part a line ("823.7 AUS" → 823.7 / AUS)."""
    return call_number.split()


# --- Barcode labels ----------------------------------------------------------------------------


def _symbol(code: str, symbology: Symbology, bar: float, height: float) -> Barcode:
    options = {"barWidth": bar, "barHeight": height, "quiet": 0, "humanReadable": 0}
    if symbology is Symbology.CODE39:
        return Standard39(code, checksum=0, **options)
    return Code128Auto(code, **options)


def _modules(code: str, symbology: Symbology) -> float:
    """The barcode's width in bars (its width drawn with bars 1 point wide), quiet zones
    aside."""
    return float(_symbol(code, symbology, 1.0, 10.0).width)


def _bar_width(code: str, symbology: Symbology, room: float) -> float:
    return min(WIDEST_BAR, room / (_modules(code, symbology) + 2 * QUIET_BARS))


def _barcode_problems(
    copies: Sequence[LabelCopy], *, layout: Layout, symbology: Symbology
) -> list[str]:
    allowed = CODE39_CHARACTERS if symbology is Symbology.CODE39 else CODE128_CHARACTERS
    unwritable = [copy.barcode for copy in copies if not set(copy.barcode) <= allowed]
    problems = []
    if unwritable:
        values = {"count": len(unwritable), "barcodes": listed(unwritable)}
        if symbology is Symbology.CODE39:
            problems.append(
                ngettext(
                    "Code 39 cannot write %(count)d barcode (upper-case letters, digits and"
                    " - . $ / + %% only): %(barcodes)s.",
                    "Code 39 cannot write %(count)d barcodes (upper-case letters, digits and"
                    " - . $ / + %% only): %(barcodes)s.",
                    len(unwritable),
                )
                % values
            )
        else:
            problems.append(
                ngettext(
                    "Code 128 cannot write %(count)d barcode (printable ASCII characters only):"
                    " %(barcodes)s.",
                    "Code 128 cannot write %(count)d barcodes (printable ASCII characters only):"
                    " %(barcodes)s.",
                    len(unwritable),
                )
                % values
            )
    room = layout.label_width - 2 * _padding(layout)
    too_long = [
        copy.barcode
        for copy in copies
        if copy.barcode not in unwritable
        and _bar_width(copy.barcode, symbology, room) < NARROWEST_BAR
    ]
    if too_long:
        problems.append(
            ngettext(
                "%(count)d barcode is too long to be read from a %(width)s mm wide label of"
                " %(layout)s: %(barcodes)s; choose a wider label.",
                "%(count)d barcodes are too long to be read from a %(width)s mm wide label of"
                " %(layout)s: %(barcodes)s; choose a wider label.",
                len(too_long),
            )
            % {
                "count": len(too_long),
                "width": f"{layout.label_width / mm:.0f}",
                "layout": layout.name,
                "barcodes": listed(too_long),
            }
        )
    return problems


def _padding(layout: Layout) -> float:
    return min(2 * mm, layout.label_height * 0.08)


def _barcode_label(
    canvas: Canvas,
    copy: LabelCopy,
    x: float,
    y: float,
    layout: Layout,
    face: Fonts,
    symbology: Symbology,
    library_name: str,
) -> None:
    width, height = layout.label_width, layout.label_height
    pad = _padding(layout)
    small = _clamp(height * 0.11, 5, 8)
    code_size = _clamp(height * 0.14, 6, 10)
    top = y + height - pad
    bottom = y + pad
    if library_name and height >= 18 * mm:
        top -= small
        _centred(canvas, library_name, x + width / 2, top, width - 2 * pad, face.regular, small)
        top -= small * 0.4
    if copy.title and height >= 30 * mm:
        _centred(canvas, copy.title, x + width / 2, bottom, width - 2 * pad, face.regular, small)
        bottom += small * 1.3
    _centred(canvas, copy.barcode, x + width / 2, bottom, width - 2 * pad, face.regular, code_size)
    bottom += code_size * 1.2
    bar = _bar_width(copy.barcode, symbology, width - 2 * pad)
    symbol = _symbol(copy.barcode, symbology, bar, max(top - bottom, 4 * mm))
    symbol.drawOn(canvas, x + (width - symbol.width) / 2, bottom)


# --- Spine labels ------------------------------------------------------------------------------


def _spine_label(
    canvas: Canvas, copy: LabelCopy, x: float, y: float, layout: Layout, face: Fonts
) -> None:
    width, height = layout.label_width, layout.label_height
    pad = _padding(layout)
    lines = call_number_lines(copy.call_number)
    room = width - 2 * pad
    small = _clamp(height * 0.1, 5, 7)
    bottom = y + pad
    if copy.title and height >= 20 * mm:
        _centred(canvas, copy.title, x + width / 2, bottom, room, face.regular, small)
        bottom += small * 1.5
    # As large as the lines fit, up to 16 points: the call number is read from across a room.
    size = min(16.0, (y + height - pad - bottom) / (len(lines) * 1.15))
    for line in lines:
        size = min(size, room / max(pdfmetrics.stringWidth(line, face.bold, 1), 1))
    size = max(size, 4.0)
    line_y = y + height - pad - size
    for line in lines:
        _centred(canvas, line, x + width / 2, line_y, room, face.bold, size)
        line_y -= size * 1.15


# --- Text --------------------------------------------------------------------------------------


def _centred(
    canvas: Canvas, text: str, centre: float, baseline: float, room: float, font: str, size: float
) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(centre, baseline, _fitted(text, font, size, room))


def _fitted(text: str, font: str, size: float, room: float) -> str:
    """``text`` cut to ``room`` points wide, with an ellipsis when cut."""
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
