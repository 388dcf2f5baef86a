"""What a label request is made of, without the PDF library: the kinds of label, the
symbologies, what a label shows of a copy, and the refusal. The URL configuration imports these
(the API's input), so a web worker loads reportlab only when it draws its first labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

MOST_PROBLEMS_NAMED = 10


class LabelKind(StrEnum):
    BARCODE = "barcode"
    SPINE = "spine"


class Symbology(StrEnum):
    CODE128 = "code128"
    CODE39 = "code39"


@dataclass(frozen=True)
class LabelCopy:
    """What a label shows of one copy."""

    barcode: str
    call_number: str
    title: str


class CannotPrint(ValueError):
    """The labels asked for cannot be printed as asked; ``problems`` says each reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


def listed(codes: Sequence[str]) -> str:
    """The first few of ``codes`` for a message, and how many more there are."""
    shown = ", ".join(codes[:MOST_PROBLEMS_NAMED])
    more = len(codes) - MOST_PROBLEMS_NAMED
    if more > 0:
        return _("%(codes)s and %(count)d more") % {"codes": shown, "count": more}
    return shown
