"""Short, printable excerpts of broken input for the error report."""

from __future__ import annotations

EXCERPT_LENGTH = 60


def excerpt(data: bytes | str, limit: int = EXCERPT_LENGTH) -> str:
    """The start of ``data`` with control characters and undecodable bytes escaped
    (MARC's delimiters show as \\x1f, \\x1e, \\x1d), and "…" when cut."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    cut = len(text) > limit
    text = text[:limit]
    escaped = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
    return escaped + ("…" if cut else "")
