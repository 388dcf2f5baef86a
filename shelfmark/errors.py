"""Domain errors: a stable machine ``code``, a human ``message`` and the HTTP status they map to.

Services raise these; the API exception handler (shelfmark.api.exceptions) renders them in the
one error shape, and HTML views show the message. Apps subclass them for their own cases.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def as_field_errors(self) -> dict[str, list[str]] | None:
        return {self.field: [self.message]} if self.field else None


class InvalidInput(DomainError):
    status_code = 400
    default_code = "invalid"


class NotAllowed(DomainError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The request is valid but clashes with the current state (duplicate, still in use…)."""

    status_code = 409
    default_code = "conflict"
