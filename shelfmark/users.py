"""Who did something, as a service records it."""

from __future__ import annotations

from typing import Any


def signed_in(user: Any) -> Any:
    """``user`` when it is a signed-in account, else None (anonymous, or the system: a
    command, a scheduled job): what a row's "by" column keeps."""
    return user if getattr(user, "is_authenticated", False) else None
