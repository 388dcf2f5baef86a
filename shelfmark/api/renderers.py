"""JSON rendered with orjson: the API's hot paths hand it plain rows (dicts, lists, strings,
numbers, dates), which it serializes in C, several times faster than the standard library's
encoder that DRF uses. Anything else (lazy translations, Decimals, DRF's own helper types) goes
through DRF's encoder, so every response DRF can render still renders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from csp.constants import UNSAFE_INLINE
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import renderers
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()


def _default(value: Any) -> Any:
    return _fallback.default(value)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None  # JSON is UTF-8 by definition (RFC 8259); DRF's renderer says the same

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        # Times in UTC end in "Z", as DRF writes them.
        options = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
        # The browsable API asks for indented JSON ("application/json; indent=4").
        if accepted_media_type and "indent=" in accepted_media_type:
            options |= orjson.OPT_INDENT_2
        return orjson.dumps(data, default=_default, option=options)


# DRF's HTML pages (the browsable API, its sign-in page) set style="" attributes in templates
# the project does not copy; the Content-Security-Policy lets them through, and nothing else
# inline (no <style> element, no script).
DRF_PAGE_POLICY = {"style-src-attr": [UNSAFE_INLINE]}


# What DRF's page lacks for assistive technology (axe-core's checks in
# shelfmark/tests/browser/test_pages.py), where its template has no block to override: the
# page's language, and a name for the button that opens the GET button's formats, which shows
# only a caret (Bootstrap's tooltip script takes its title away). In the request's language.
FORMATS_BUTTON = (
    '<button class="btn btn-primary dropdown-toggle js-tooltip" data-toggle="dropdown" '
    'title="Specify a format for the GET request"'
)


def accessible_markup() -> tuple[tuple[str, str], ...]:
    language = escape(get_language() or "en")
    formats = escape(_("Formats of the GET request"))
    return (
        ("<html>", f'<html lang="{language}">'),
        (f"{FORMATS_BUTTON}>", f'{FORMATS_BUTTON} aria-label="{formats}">'),
    )


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, with no inline script or <style> (shelfmark/browsable_api.html), so
    that it works under the site's Content-Security-Policy, and with the markup
    ``accessible_markup`` adds."""

    template = "shelfmark/browsable_api.html"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            # What django-csp's csp_update decorator sets on a view's response.
            response._csp_update = DRF_PAGE_POLICY
        page = super().render(data, accepted_media_type, renderer_context)
        if isinstance(page, str):  # the HTML page (an error may render otherwise)
            for before, after in accessible_markup():
                page = page.replace(before, after, 1)
        return page
