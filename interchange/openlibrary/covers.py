"""A book's cover from Open Library, fetched through the guarded client (``client``) and
refused when it is not something a catalog should keep: larger than
``OPENLIBRARY_COVER_MAX_BYTES``, or declaring more than ``OPENLIBRARY_COVER_MAX_PIXELS`` (a file
of 290 KB can declare 10000x10000 pixels, 400 MB for every browser that shows it), or past
Pillow's own decompression-bomb limits. Whether it is an image of a format the catalog takes is
the catalog's rule to say when the cover is stored (``catalog.rules.clean_cover``).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import httpx
from django.conf import settings
from PIL import Image

from catalog.rules import COVER_FORMATS
from interchange.openlibrary.client import OpenLibraryClient, Unavailable


@dataclass(frozen=True)
class CoverDownload:
    content: bytes | None
    # Why there is no content: the detail, for the log. A person who gave the URL is told one
    # message whatever it is (interchange.services.isbn), so that the answer says nothing of
    # what lies behind an address.
    reason: str = ""


def fetch_cover(
    url: str, *, within: float | None = None, client: OpenLibraryClient | None = None
) -> CoverDownload:
    """The image at ``url``, an address at Open Library's origins, by
    ``OPENLIBRARY_COVER_SECONDS`` (or the caller's shorter ``within``)."""
    client = client or OpenLibraryClient()
    try:
        allowed = client.allows(httpx.URL(url))
    except httpx.InvalidURL:
        allowed = False
    # Checked before waiting for the rate limit; the client checks every redirect as well.
    if not allowed:
        return CoverDownload(None, f"{url!r} is not at Open Library's origins.")
    deadline = client.deadline(settings.OPENLIBRARY_COVER_SECONDS, within=within)
    try:
        # default=false: a missing cover is a 404, not a blank placeholder image.
        answer = client.get(
            url,
            params={"default": "false"},
            deadline=deadline,
            max_bytes=settings.OPENLIBRARY_COVER_MAX_BYTES,
        )
    except Unavailable as error:
        return CoverDownload(None, str(error))
    if answer.status != 200:
        return CoverDownload(None, f"Open Library answered {answer.status} for the cover.")
    problem = image_size_problem(answer.body)
    if problem:
        return CoverDownload(None, problem)
    return CoverDownload(answer.body)


def image_size_problem(content: bytes) -> str:
    """Why an image is too big to keep, from its header alone (nothing is decoded); "" when it
    is not, or when Pillow cannot read it (``clean_cover`` says what is wrong with it then)."""
    limit = settings.OPENLIBRARY_COVER_MAX_PIXELS
    with warnings.catch_warnings():
        # Pillow warns of a "decompression bomb" past Image.MAX_IMAGE_PIXELS and refuses twice
        # that: either is a refusal here. (The filter is process-wide while it is on; the limit
        # below, far lower than Pillow's, refuses those images whatever another thread does.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=list(COVER_FORMATS)) as image:
                width, height = image.size
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as bomb:
            return f"The image is a decompression bomb: {bomb}"
        except (OSError, SyntaxError, ValueError):
            return ""
    if width * height > limit:
        return f"The image has {width}x{height} pixels, more than {limit}."
    return ""
