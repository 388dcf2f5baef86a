"""Open Library: an ISBN's metadata and a book's cover, asked for politely, trusting nothing.

By concept:

- ``client``: the HTTP client every request goes through, and its guards: allowed origins
  checked for the first URL and every redirect, one deadline per call that no slow answer
  outlives, a byte cap, the User-Agent, retries with backoff.
- ``pacing``: the rate limit every web and worker process shares.
- ``books``: an ISBN's lookup (which endpoints, and why) and the answers kept in the database.
- ``metadata``: Open Library's records read into a ``BookMetadata``.
- ``covers``: a cover's download, limited in bytes and pixels.

The names callers use are here, each imported on first use: the client needs httpx (~15 MB),
which a web worker that never looks up an ISBN does not load (shelfmark/tests/test_startup.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interchange.openlibrary.books import LookupResult, lookup
    from interchange.openlibrary.client import OpenLibraryClient, Unavailable
    from interchange.openlibrary.covers import CoverDownload, fetch_cover
    from interchange.openlibrary.metadata import BookMetadata, Outcome

_WHERE = {
    "BookMetadata": "metadata",
    "CoverDownload": "covers",
    "LookupResult": "books",
    "OpenLibraryClient": "client",
    "Outcome": "metadata",
    "Unavailable": "client",
    "fetch_cover": "covers",
    "lookup": "books",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "BookMetadata",
    "CoverDownload",
    "LookupResult",
    "OpenLibraryClient",
    "Outcome",
    "Unavailable",
    "fetch_cover",
    "lookup",
]
