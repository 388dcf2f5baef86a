"""The API's one request format: JSON, with bounds on size and depth.

DRF's own ``JSONParser`` lets a document nested about a thousand levels deep reach Python's
recursion limit (a 500), and reads the body through ``request.body``, whose size error
(``RequestDataTooBig``) is not an API error. This parser reads the stream itself, so both limits
fail inside the parser as API errors, in the one error shape: DRF then also answers them when
the body is read early, by the CSRF check of a session POST.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import renderers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

# Far more than any document of this API needs (a book is two levels deep), far less than the
# recursion limit.
MAX_DEPTH = 64


class RequestTooLarge(APIException):
    """413 request_too_large. Here, not in shelfmark.api.exceptions (which uses it too): that
    module imports rest_framework.views, whose APIView loads DEFAULT_PARSER_CLASSES, this
    module, when it is defined; importing back from there would be a circular import."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int | None = None) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if limit is None else limit
        super().__init__(
            _(
                "The request body is larger than this API accepts (%(limit)s bytes). "
                "Send less at a time."
            )
            % {"limit": limit}
        )


def _too_deep() -> ParseError:
    return ParseError(
        _(
            "JSON parse error - the document is nested more than %(depth)d levels deep "
            "(arrays and objects inside each other); this API's documents need only a few."
        )
        % {"depth": MAX_DEPTH}
    )


def _depth_exceeds(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels. A loop, not recursion; a
    document with fewer brackets than the limit is never walked (see the caller)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class JSONParser(BaseParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 beyond) and MAX_DEPTH levels."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer  # the browsable API's raw-data form
    strict = api_settings.STRICT_JSON

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = parser_context.get("request")
        if limit is not None and request is not None:
            # The declared length first, so that an oversized body is not read at all.
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                raise RequestTooLarge(limit)
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestTooLarge(limit)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = body.decode(encoding)
            document = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise _too_deep() from None
        except ValueError as error:  # malformed JSON, or bytes that are not the encoding
            # The parser's own words (Python's, in English) say what is wrong where.
            raise ParseError(_("JSON parse error - %(error)s") % {"error": error}) from None
        # Counting brackets is cheap; only a document that could be too deep is walked.
        if text.count("[") + text.count("{") > MAX_DEPTH and _depth_exceeds(document, MAX_DEPTH):
            raise _too_deep()
        return document
