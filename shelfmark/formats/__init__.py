"""How the site writes dates: one short and one long format (``en/formats.py``, which
``settings.FORMAT_MODULE_PATH`` points Django at), used by templates (``{{ day|date }}`` is the
long one, ``{{ day|date:"SHORT_DATE_FORMAT" }}`` the short one) and, through the functions below,
by messages written in Python."""

from __future__ import annotations

import datetime

from django.utils import formats


def short_date(day: datetime.date) -> str:
    """'Sun 27 Dec 2026': lists, tables, the desk."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def long_date(day: datetime.date) -> str:
    """'Sunday 27 December 2026': a sentence that tells a patron a date."""
    return formats.date_format(day, "DATE_FORMAT")
