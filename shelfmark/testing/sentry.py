"""A Sentry server on 127.0.0.1 for tests: the site's error reports (shelfmark/sentry.py) go to it
instead of sentry.io, so a test can read what would have been sent."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


class _StandIn(BaseHTTPRequestHandler):
    """Takes Sentry's envelopes (POST /api/<project>/envelope/) as a Sentry server would."""

    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        type(self).received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def sentry_stand_in() -> Iterator[Callable[[], str]]:
    """Reporting to a local stand-in for the block; yields a function that sends what is queued
    and returns the envelopes received, as text (waiting up to 10 s for the first). Reporting is
    off again afterwards."""
    import sentry_sdk

    from shelfmark.sentry import start_sentry

    server = HTTPServer(("127.0.0.1", 0), _StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _StandIn.received.clear()

    def envelopes() -> str:
        sentry_sdk.flush(timeout=10)
        deadline = time.monotonic() + 10
        while not _StandIn.received and time.monotonic() < deadline:
            time.sleep(0.05)
        return b"\n".join(_StandIn.received).decode()

    try:
        start_sentry(f"http://public@127.0.0.1:{server.server_port}/1", environment="test")
        yield envelopes
    finally:
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.init()  # no DSN: off again
        server.shutdown()
