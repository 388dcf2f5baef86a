"""One request for labels, as the API and the staff page take it: where the copies come from
(exactly one of a list of barcodes, an import run, a day, a search), the layout, the kind,
the start position and the symbology; and the PDF it makes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from labels import selectors
from labels.kinds import CannotPrint, LabelCopy, LabelKind, Symbology
from labels.layouts import UnknownLayout, layout_named
from shelfmark.errors import InvalidInput


@dataclass(frozen=True)
class LabelRequest:
    copies: Sequence[str] = field(default_factory=list)
    import_run: int | None = None
    added_since: datetime.date | None = None
    q: str = ""
    layout: str = "L7160"
    kind: LabelKind = LabelKind.BARCODE
    start_at: int = 1
    symbology: Symbology = Symbology.CODE128


@dataclass(frozen=True)
class PrintedLabels:
    pdf: bytes
    count: int
    filename: str


def label_copies(request: LabelRequest) -> list[LabelCopy]:
    """The copies the request names, by exactly one of its sources."""
    given = [
        name
        for name, value in (
            ("copies", request.copies),
            ("import_run", request.import_run),
            ("added_since", request.added_since),
            ("q", request.q.strip()),
        )
        if value
    ]
    if len(given) != 1:
        message = _(
            "Say which copies to print labels for, in one way: `copies` (a list of barcodes),"
            " `import_run` (an import's id), `added_since` (a date) or `q` (a search)."
        )
        if given:
            message += " " + _("This request gives %(sources)s.") % {"sources": ", ".join(given)}
        raise InvalidInput(message, code="labels_source")
    if request.copies:
        return selectors.copies_by_barcodes(request.copies)
    if request.import_run is not None:
        return selectors.copies_of_import_run(request.import_run)
    if request.added_since is not None:
        return selectors.copies_added_since(request.added_since)
    return selectors.copies_found_by(request.q)


def labels_print(request: LabelRequest) -> PrintedLabels:
    """The labels' PDF, or an InvalidInput saying every reason it cannot be made."""
    try:
        layout = layout_named(request.layout)
    except UnknownLayout as error:
        raise InvalidInput(str(error), field="layout") from None
    copies = label_copies(request)
    # reportlab (and Pillow, which it imports) load with the first labels drawn, not with
    # every web worker (shelfmark/tests/test_startup.py).
    from labels.pdf import labels_pdf

    try:
        pdf = labels_pdf(
            copies,
            layout=layout,
            kind=request.kind,
            start_at=request.start_at,
            symbology=request.symbology,
            library_name=settings.LIBRARY_NAME,
            font_file=settings.LABEL_FONT_FILE,
            title=(
                _("%(library)s: barcode labels")
                if request.kind is LabelKind.BARCODE
                else _("%(library)s: spine labels")
            )
            % {"library": settings.LIBRARY_NAME},
        )
    except CannotPrint as error:
        raise InvalidInput(
            str(error), code="cannot_print", extra={"problems": error.problems}
        ) from None
    day = timezone.localdate()
    return PrintedLabels(
        pdf, len(copies), f"labels-{request.kind.value}-{layout.name}-{day:%Y-%m-%d}.pdf"
    )
