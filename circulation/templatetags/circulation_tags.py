"""Template tags for circulation's parts of other apps' pages (the catalog's book page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from circulation.selectors.account import book_hold_panel as _book_hold_panel
from shelfmark.rows import Row

register = template.Library()


@register.simple_tag(takes_context=True)
def book_hold_panel(context: template.Context, book: Row) -> Row:
    """What the book's page says about holds to whoever is looking (selectors.account)."""
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    return _book_hold_panel(book, user, timezone.localdate())
