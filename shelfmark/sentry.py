"""Error reports to Sentry (or a server that speaks its protocol, such as GlitchTip), when
SENTRY_DSN is set: unhandled exceptions and logged errors, with the request's id as a tag, and
no personal data (sentry-sdk's default_integrations for Django and logging)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentry_sdk.types import Event

# Errors only: tracing would send every request's timings out of the library.
TRACES_SAMPLE_RATE = 0.0


def start_sentry(dsn: str, *, environment: str) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=TRACES_SAMPLE_RATE,
        before_send=_with_request_id,
    )


def _with_request_id(event: Event, hint: dict[str, Any]) -> Event:
    from shelfmark.logs import REQUEST_ID

    event.setdefault("tags", {})["request_id"] = REQUEST_ID.get()
    return event
