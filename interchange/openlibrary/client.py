"""The HTTP client every request to Open Library goes through, with the guards that make it
trust nothing it is answered.

- **Hosts.** A request goes only to the allowed origins (``allowed_origins()``: Open Library's
  own servers and the Internet Archive's, where its covers are kept), the first URL and every
  redirect alike. Redirects are followed here, one hop at a time after the check, at most
  ``MAX_REDIRECTS``: httpx's ``follow_redirects`` follows a Location to any host, and a cover
  URL answered with a 302 to ``http://127.0.0.1:<port>/`` made the server fetch that.
- **One deadline per call.** A lookup's three requests or a cover with its redirects, their
  retries, backoffs and waits for the rate limit all end by one deadline. Each attempt runs in
  a helper thread that the caller stops waiting for at the deadline: httpx's timeouts bound
  each connect and each read, but neither the name lookup nor a whole answer (one byte every
  few seconds never trips a read timeout). The helper thread checks the same deadline after
  every chunk it reads, and the caller closes the connection when it gives up, so a request
  given up on ends too rather than reading a slow drip for ever.
- **Size.** An answer's bytes are counted as they arrive and refused past the caller's cap
  (Content-Length is only a hint).
- **Politeness.** A User-Agent naming Shelfmark and a contact address (Open Library throttles
  clients that do not say who they are); the shared pace (``pacing``); 429, 5xx and network
  errors retried with exponential backoff, honouring Retry-After, within the deadline.

Trouble is ``Unavailable``, whose message is for a person; the detail goes to the log.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.openlibrary.origins import allowed_origins
from interchange.openlibrary.pacing import Clock, RateLimiter, Sleep, default_rate_limiter

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # per request: the first try and three retries
MAX_REDIRECTS = 5
MAX_JSON_BYTES = 2 * 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}

# Tests install an httpx.MockTransport here (conftest.py makes sure no test reaches the network).
TRANSPORT: httpx.BaseTransport | None = None

# What a person is told when a request could not be made or was refused on the way. Lazy: made
# into text where the caller reads the message (the request's helper thread has no language).
UNREACHABLE = gettext_lazy("Open Library could not be reached.")
TIMED_OUT = gettext_lazy("Open Library did not answer in time.")
TOO_LARGE = gettext_lazy("Open Library's answer is too large.")


class Unavailable(Exception):
    """Open Library could not be asked, or did not answer usefully; the message says why."""


def origin_allows(origin: str, url: httpx.URL) -> bool:
    """Whether ``url`` is at ``origin`` ("https://host[:port]", or "https://*.domain" for any
    host below the domain): the same scheme (never http for https), host and port."""
    allowed = urlsplit(origin)
    if url.scheme != allowed.scheme or url.userinfo:
        return False
    try:
        allowed_port = allowed.port or DEFAULT_PORTS.get(allowed.scheme)
    except ValueError:
        return False
    if (url.port or DEFAULT_PORTS.get(url.scheme)) != allowed_port:
        return False
    host = url.raw_host.decode("ascii", "replace").lower()
    pattern = (allowed.hostname or "").lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def user_agent() -> str:
    if settings.OPENLIBRARY_USER_AGENT:
        return str(settings.OPENLIBRARY_USER_AGENT)
    contact = (
        settings.OPENLIBRARY_CONTACT_EMAIL or email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    )
    return f"Shelfmark/1.0 (library catalog; {contact or 'no contact address configured'})"


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class _Refused(Exception):
    """A request the guards stopped (a host not allowed, too many redirects, too large): never
    retried. The message is for the log; people are told ``UNREACHABLE`` or its own."""

    def __init__(self, detail: str, *, message: StrOrPromise = UNREACHABLE):
        super().__init__(detail)
        self.message = message


@dataclass
class OpenLibraryClient:
    transport: httpx.BaseTransport | None = None
    limiter: RateLimiter | None = None
    clock: Clock = time.time
    sleep: Sleep = time.sleep
    # Where requests may go; allowed_origins() when not given.
    origins: Sequence[str] | None = None
    _limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self._limiter = self.limiter or default_rate_limiter(self.clock, self.sleep)

    def deadline(self, seconds: float, *, within: float | None = None) -> float:
        """The deadline of a call that may take ``seconds``, or the caller's shorter
        ``within``: a caller can shorten a call, never lengthen it."""
        return self.clock() + (seconds if within is None else min(within, seconds))

    def allows(self, url: httpx.URL) -> bool:
        return any(origin_allows(origin, url) for origin in self.origins or allowed_origins())

    def get_json(
        self, url: str, *, deadline: float, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A JSON object, {} for a 404; ``Unavailable`` for anything else."""
        answer = self.get(url, params=params, deadline=deadline, max_bytes=MAX_JSON_BYTES)
        if answer.status == 404:
            return {}
        if answer.status != 200:
            raise Unavailable(_("Open Library answered %(status)s.") % {"status": answer.status})
        try:
            data = httpx.Response(200, content=answer.body).json()
        except ValueError:
            raise Unavailable(_("Open Library's answer was not valid JSON.")) from None
        if not isinstance(data, dict):
            raise Unavailable(_("Open Library's answer was not a JSON object."))
        return data

    def get(
        self,
        url: str,
        *,
        deadline: float,
        max_bytes: int,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """GET ``url`` with every guard above; an answer with any status but 429 and 5xx,
        which are retried (exponential backoff, Retry-After honoured), all by ``deadline``."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if not self._limiter.acquire(deadline=deadline):
                raise Unavailable(_("Too many lookups at once; try again in a moment."))
            retry_after: float | None = None
            try:
                answer = self._attempt(url, params=params, deadline=deadline, max_bytes=max_bytes)
            except _Refused as refused:
                logger.warning("Open Library request to %s refused: %s", url, refused)
                raise Unavailable(str(refused.message)) from None
            except httpx.TimeoutException:
                problem = str(TIMED_OUT)
            except httpx.HTTPError as error:
                # The kind of error is for the log; people are told what it means.
                logger.info("Open Library request to %s failed: %r", url, error)
                problem = str(UNREACHABLE)
            else:
                if answer.status != 429 and answer.status < 500:
                    return answer
                problem = (
                    _("Open Library asks us to slow down (429).")
                    if answer.status == 429
                    else _("Open Library has a problem (%(status)s).") % {"status": answer.status}
                )
                retry_after = parse_retry_after(answer.headers.get("Retry-After"), self.clock())
            wait = settings.OPENLIBRARY_BACKOFF_SECONDS * 2 ** (attempt - 1)
            if retry_after is not None:
                wait = max(wait, retry_after)
            if attempt == MAX_ATTEMPTS or self.clock() + wait > deadline:
                raise Unavailable(problem)
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None,
        deadline: float,
        max_bytes: int,
    ) -> Answer:
        """One request and its redirects, given up on at ``deadline`` however the server or the
        network behaves: it runs in a helper thread, waited for until then, on a connection of
        its own that is closed when the wait ends (which ends a read still going on)."""
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise httpx.TimeoutException("The call's deadline has passed.")
        # The helper thread's own deadline, on the monotonic clock (the client's clock may be
        # the wall clock the shared rate limit needs, which can jump).
        stop_at = time.monotonic() + remaining
        timeout = min(settings.OPENLIBRARY_TIMEOUT, remaining)
        outcome: list[Answer | BaseException] = []
        http = httpx.Client(
            transport=self.transport or TRANSPORT,
            headers={"User-Agent": user_agent(), "Accept": "application/json, image/*"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed by _send, each hop's host checked first
        )

        def send() -> None:
            try:
                outcome.append(self._send(http, url, params, max_bytes, stop_at=stop_at))
            except BaseException as error:  # handed to the caller, which decides
                outcome.append(error)

        thread = threading.Thread(target=send, name="openlibrary-request", daemon=True)
        try:
            thread.start()
            thread.join(remaining)
        finally:
            http.close()
        if not outcome:
            raise httpx.TimeoutException("No answer before the call's deadline.")
        result = outcome[0]
        if isinstance(result, httpx.HTTPError | _Refused):
            raise result
        if isinstance(result, BaseException):
            # A URL or an answer httpx cannot even parse (a Location of "http://[", a header
            # in bytes it refuses): the outside's doing, so a failure to report, not a 500.
            raise _Refused(f"unusable URL or answer: {result!r}")
        return result

    def _send(
        self,
        http: httpx.Client,
        url: str,
        params: Mapping[str, str] | None,
        max_bytes: int,
        *,
        stop_at: float,
    ) -> Answer:
        target = httpx.URL(url)
        for _hop in range(MAX_REDIRECTS + 1):
            if not self.allows(target):
                raise _Refused(f"{target} is not at an allowed origin")
            with http.stream("GET", target, params=params) as response:
                if response.is_redirect:
                    target = response.url.join(response.headers["Location"])
                    params = None  # the Location is the whole next URL
                    continue
                return _read(response, max_bytes, stop_at=stop_at)
        raise _Refused(f"more than {MAX_REDIRECTS} redirects")


def _read(response: httpx.Response, max_bytes: int, *, stop_at: float) -> Answer:
    """The body, chunk by chunk, within ``max_bytes`` and by ``stop_at`` (monotonic)."""
    too_large = _Refused(f"the answer is larger than {max_bytes} bytes", message=TOO_LARGE)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    for chunk in response.iter_bytes():
        if time.monotonic() > stop_at:
            raise httpx.ReadTimeout("The answer was still coming at the call's deadline.")
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return Answer(response.status_code, response.headers, bytes(body))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
