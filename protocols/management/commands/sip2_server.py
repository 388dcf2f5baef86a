"""manage.py sip2_server: the SIP2 server for self-check kiosks (protocols.sip2)."""

from __future__ import annotations

import signal
import ssl
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from protocols.sip2.server import Server, idle_timeout, tls_context


class Command(BaseCommand):
    help = (
        "Serve SIP2 to self-check kiosks: login (93), SC status (99), patron status (23) and "
        "information (63), item information (17), checkout (11), checkin (09), renew (29), "
        "renew all (65), end session (35). Kiosks log in as a staff account with the desk's "
        "permissions and 'May use SIP2'. TLS with --certfile (and --keyfile)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Default: 127.0.0.1.")
        parser.add_argument("--port", type=int, default=6001, help="Default: 6001.")
        parser.add_argument("--certfile", help="TLS: the server's certificate chain (PEM).")
        parser.add_argument("--keyfile", help="TLS: its private key, if not in --certfile.")

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        certfile: str | None,
        keyfile: str | None,
        **options: Any,
    ) -> None:
        if keyfile and not certfile:
            raise CommandError("--keyfile needs --certfile.")
        if not 0 <= port <= 65535:
            raise CommandError("--port is a number from 0 to 65535.")
        context = None
        if certfile:
            try:
                context = tls_context(certfile, keyfile)
            except (OSError, ssl.SSLError) as error:
                raise CommandError(f"Cannot use the TLS certificate: {error}.") from None
        try:
            server = Server((host, port), ssl_context=context)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None

        def stop(signum: int, frame: FrameType | None) -> None:
            # shutdown() waits for serve_forever, which runs in this thread: from another.
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        bound_host, bound_port = server.server_address[:2]
        if isinstance(bound_host, bytes):  # the stubs allow a Unix socket's path
            bound_host = bound_host.decode()
        self.stderr.write(
            f"SIP2 server on {bound_host}:{bound_port}{' (TLS)' if context else ''}, "
            f"idle connections closed after {idle_timeout():g} s. Ctrl-C stops it."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        self.stderr.write("SIP2 server stopped.")
