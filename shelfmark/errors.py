"""Domain errors: a stable machine ``code``, a human ``message`` and the HTTP status they map to.

Services raise these; the API exception handler (shelfmark.api.exceptions) renders them in the
one error shape, and HTML views and admin forms show the messages. Apps subclass them for their
own cases. An error may name the fields it is about — one (``field=``) or several at once
(``fields=``), so that a form, an API request or an import row hears about every problem of its
input together, not one per attempt; and carry more keys for the error body (``extra``, e.g. a
checkout's list of reasons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RuleError(ValueError):
    """A value that breaks a field rule (apps keep theirs in ``rules.py``); the message says what
    to fix. Whoever applies the rule knows the field and reports it: services as InvalidInput,
    serializers and forms as their own validation errors."""


class DomainError(Exception):
    status_code = 400
    default_code = "error"

    def __init__(
        self,
        message: StrOrPromise,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ):
        # str(): a lazy translation given here is read now, in the request's language, and the
        # error bodies (orjson) get plain text.
        text = str(message)
        super().__init__(text)
        self.message = text
        self.code = code or self.default_code
        self.extra: dict[str, Any] = dict(extra or {})
        self.fields: dict[str, list[str]] = {
            name: [str(m) for m in ms] for name, ms in (fields or {}).items()
        }
        if field:
            self.fields.setdefault(field, []).append(text)

    @property
    def field(self) -> str | None:
        """The first field the error is about, if any."""
        return next(iter(self.fields), None)

    def as_field_errors(self) -> dict[str, list[str]] | None:
        return self.fields or None


class InvalidInput(DomainError):
    status_code = 400
    default_code = "invalid"

    @classmethod
    def collect(cls, problems: Mapping[str, Sequence[str]]) -> InvalidInput:
        """One error for several fields' problems (``{"isbn": ["…"], "year": ["…"]}``)."""
        if len(problems) == 1:
            ((name, messages),) = problems.items()
            if len(messages) == 1:
                return cls(messages[0], field=name)
        return cls(_("The input has invalid fields; see 'fields'."), fields=problems)


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
