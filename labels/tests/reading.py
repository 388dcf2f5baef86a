"""Label PDFs read back as a person's tools would: pypdf for the pages and their text (with
where each piece is drawn), pdfium to draw a page and zxing-cpp to decode its barcodes."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import pypdfium2
import zxingcpp
from pypdf import PdfReader

DPI = 300


@dataclass(frozen=True)
class Text:
    text: str
    x: float  # the baseline's start, in points from the page's bottom-left corner
    y: float


@dataclass(frozen=True)
class Decoded:
    text: str
    symbology: str
    x: float  # the barcode's centre, in points from the page's bottom-left corner
    y: float


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in PdfReader(BytesIO(pdf)).pages
    ]


def texts(pdf: bytes, page: int = 0) -> list[Text]:
    found: list[Text] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            # The text matrix's translation, through the current transformation matrix.
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append(Text(text.strip(), x, y))

    PdfReader(BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return found


def barcodes(pdf: bytes, page: int = 0) -> list[Decoded]:
    document = pypdfium2.PdfDocument(pdf)
    height = document[page].get_height()
    image = document[page].render(scale=DPI / 72).to_pil()
    found = []
    for result in zxingcpp.read_barcodes(image):
        corners = result.position
        xs = [
            corners.top_left.x,
            corners.top_right.x,
            corners.bottom_left.x,
            corners.bottom_right.x,
        ]
        ys = [
            corners.top_left.y,
            corners.top_right.y,
            corners.bottom_left.y,
            corners.bottom_right.y,
        ]
        x = sum(xs) / 4 * 72 / DPI
        y = height - sum(ys) / 4 * 72 / DPI
        found.append(Decoded(result.text, str(result.format), x, y))
    return found
