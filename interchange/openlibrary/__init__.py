"""Open Library: an ISBN's metadata and a book's cover, asked for politely, trusting nothing.

By concept:

- ``client``: the HTTP client every request goes through, and its guards: allowed origins
  checked for the first URL and every redirect, one deadline per call that no slow answer
  outlives, a byte cap, the User-Agent, retries with backoff.
- ``pacing``: the rate limit every web and worker process shares.
- ``books``: an ISBN's lookup (which endpoints, and why) and the answers kept in the database.
- ``metadata``: Open Library's records read into a ``BookMetadata``.
- ``covers``: a cover's download, limited in bytes and pixels.

The names callers use are here.
"""

from interchange.openlibrary.books import LookupResult, Outcome, lookup
from interchange.openlibrary.client import OpenLibraryClient, Unavailable
from interchange.openlibrary.covers import CoverDownload, fetch_cover
from interchange.openlibrary.metadata import BookMetadata

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
