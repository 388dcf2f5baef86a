"""Label layouts: the common sheets (Avery and Herma, A4 and US Letter) and roll printers.

A sheet is a grid of labels at fixed positions, measured from the sheet's top-left corner as the
makers' templates give them; a roll is one label a page. Positions are numbered from 1, left to
right and then down, as a person counts them on a partly used sheet (``start_at``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch, mm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Layout:
    name: str
    title: StrOrPromise  # what a person chooses it by (translated when shown)
    page_width: float  # points, as every measure here
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float = 0.0  # the first label's left edge, from the page's left edge
    top: float = 0.0  # the first label's top edge, from the page's top edge
    column_pitch: float = 0.0  # from one label's left edge to the next one's
    row_pitch: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def is_roll(self) -> bool:
        return self.per_page == 1

    def origin(self, position: int) -> tuple[float, float]:
        """The bottom-left corner of the label at ``position`` (0-based on its page), in
        PDF coordinates (from the page's bottom-left corner)."""
        row, column = divmod(position, self.columns)
        x = self.left + column * self.column_pitch
        y = self.page_height - self.top - row * self.row_pitch - self.label_height
        return x, y


def _sheet(
    name: str,
    title: StrOrPromise,
    page: tuple[float, float],
    grid: tuple[int, int],
    label: tuple[float, float],
    margins: tuple[float, float],
    pitch: tuple[float, float],
) -> Layout:
    return Layout(
        name=name,
        title=title,
        page_width=page[0],
        page_height=page[1],
        columns=grid[0],
        rows=grid[1],
        label_width=label[0],
        label_height=label[1],
        left=margins[0],
        top=margins[1],
        column_pitch=pitch[0],
        row_pitch=pitch[1],
    )


# The makers' published templates (Avery/Herma/Zweckform share the L71xx sizes).
SHEETS = {
    layout.name: layout
    for layout in (
        _sheet(
            "L7160",
            gettext_lazy("A4, 21 labels (3 x 7), 63.5 x 38.1 mm: Avery L7160, Herma 4677"),
            A4,
            (3, 7),
            (63.5 * mm, 38.1 * mm),
            (7.2 * mm, 15.15 * mm),
            (66.04 * mm, 38.1 * mm),
        ),
        _sheet(
            "L7161",
            gettext_lazy("A4, 18 labels (3 x 6), 63.5 x 46.6 mm: Avery L7161"),
            A4,
            (3, 6),
            (63.5 * mm, 46.6 * mm),
            (7.2 * mm, 8.8 * mm),
            (66.04 * mm, 46.6 * mm),
        ),
        _sheet(
            "L7163",
            gettext_lazy("A4, 14 labels (2 x 7), 99.1 x 38.1 mm: Avery L7163, Herma 4678"),
            A4,
            (2, 7),
            (99.1 * mm, 38.1 * mm),
            (4.65 * mm, 15.15 * mm),
            (101.6 * mm, 38.1 * mm),
        ),
        _sheet(
            "L7651",
            gettext_lazy("A4, 65 labels (5 x 13), 38.1 x 21.2 mm: Avery L7651, Herma 4609"),
            A4,
            (5, 13),
            (38.1 * mm, 21.2 * mm),
            (4.75 * mm, 10.7 * mm),
            (40.64 * mm, 21.2 * mm),
        ),
        _sheet(
            "5160",
            gettext_lazy("US Letter, 30 labels (3 x 10), 2.625 x 1 in: Avery 5160"),
            LETTER,
            (3, 10),
            (2.625 * inch, 1 * inch),
            (0.1875 * inch, 0.5 * inch),
            (2.75 * inch, 1 * inch),
        ),
        _sheet(
            "5163",
            gettext_lazy("US Letter, 10 labels (2 x 5), 4 x 2 in: Avery 5163"),
            LETTER,
            (2, 5),
            (4 * inch, 2 * inch),
            (0.15625 * inch, 0.5 * inch),
            (4.1875 * inch, 2 * inch),
        ),
        _sheet(
            "5167",
            gettext_lazy("US Letter, 80 labels (4 x 20), 1.75 x 0.5 in: Avery 5167"),
            LETTER,
            (4, 20),
            (1.75 * inch, 0.5 * inch),
            (0.3 * inch, 0.5 * inch),
            (2.05 * inch, 0.5 * inch),
        ),
    )
}

# Roll printers print one label a page, the page the label's size: ``roll-WIDTHxHEIGHT`` in
# millimetres, any size within ROLL_LIMITS; these are the common ones, offered by name.
ROLLS = {
    "roll-62x29": gettext_lazy("Roll, 62 x 29 mm: Brother DK-11209"),
    "roll-57x32": gettext_lazy("Roll, 57 x 32 mm: Dymo 11354"),
    "roll-89x36": gettext_lazy("Roll, 89 x 36 mm: Dymo 99012"),
    "roll-50x25": gettext_lazy("Roll, 50 x 25 mm: Zebra and most thermal printers"),
}
ROLL_LIMITS = (15, 150)  # millimetres, each side
_ROLL = re.compile(r"roll-(\d{1,3}(?:\.\d)?)x(\d{1,3}(?:\.\d)?)")


class UnknownLayout(ValueError):
    pass


def layout_named(name: str) -> Layout:
    """The layout called ``name``: a sheet of SHEETS or ``roll-WxH`` (millimetres)."""
    if sheet := SHEETS.get(name):
        return sheet
    if match := _ROLL.fullmatch(name):
        width, height = float(match[1]), float(match[2])
        low, high = ROLL_LIMITS
        if low <= width <= high and low <= height <= high:
            size = (width * mm, height * mm)
            return _sheet(
                name,
                ROLLS.get(name)
                or _("Roll, %(width)s x %(height)s mm") % {"width": match[1], "height": match[2]},
                size,
                (1, 1),
                size,
                (0, 0),
                size,
            )
        raise UnknownLayout(
            _("A roll label's sides must be between %(low)s and %(high)s mm (not %(name)s).")
            % {"low": low, "high": high, "name": name}
        )
    raise UnknownLayout(
        _(
            "'%(name)s' is not a label layout: choose one of %(layouts)s, or roll-WIDTHxHEIGHT in"
            " millimetres."
        )
        % {"name": name, "layouts": ", ".join(layout_names())}
    )


def layout_names() -> list[str]:
    return [*SHEETS, *ROLLS]
