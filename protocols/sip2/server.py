"""The SIP2 server: TCP (optionally TLS), a thread per kiosk connection.

Each connection reads messages ended by CR (LF and CRLF too), answers each in turn
(protocols.sip2.messages) and survives whatever it is sent: a message it cannot read is
answered with 96 (send it again), as is a wrong checksum; a connection that sends nothing for
``SIP2_IDLE_TIMEOUT`` seconds, or only garbage, or tries too many logins, is closed. A dropped
connection loses at most the answer: every action is one service call, in one transaction, so
it is done whole or not at all.

Threads, not asyncio: every answer is a few database statements through Django's synchronous
ORM, and a kiosk sends one message at a time. Each thread has its own database connection,
released between messages as a web request releases it (``close_old_connections``), so idle
kiosks hold none, and closed with the connection. ``SIP2_MAX_CONNECTIONS`` bounds the threads.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import ssl
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import translation
from django.utils.translation import gettext as _

from protocols.sip2 import codec, messages

logger = logging.getLogger("shelfmark.sip2")

READ_SIZE = 4096
# A kiosk sending only messages the server cannot read is not a kiosk: closed after this many
# in a row.
MAX_UNREADABLE = 10


def idle_timeout() -> float:
    return float(settings.SIP2_IDLE_TIMEOUT)


def max_connections() -> int:
    return settings.SIP2_MAX_CONNECTIONS


def tls_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server context for TLS with the certificate chain in ``certfile`` (and its key in
    ``keyfile``, or in ``certfile`` too)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


class Connection:
    """One kiosk's conversation: messages in, answers out."""

    def __init__(self, sock: socket.socket, peer: str, address: str):
        self.sock = sock
        self.peer = peer
        self.session = messages.Session(peer=address)
        self.last_answer: bytes | None = None
        self.unreadable = 0

    def serve(self) -> None:
        buffer = b""
        skipping = False  # inside an overlong message: dropped up to its end
        while not self.session.closing:
            try:
                chunk = self.sock.recv(READ_SIZE)
            except TimeoutError:
                logger.debug("SIP2 %s: idle, closed", self.peer)
                return
            except OSError:
                return  # reset, or TLS broken: nothing to answer
            if not chunk:
                return
            buffer += chunk
            while not self.session.closing:
                end = _terminator(buffer)
                if end < 0:
                    if len(buffer) > codec.MAX_MESSAGE_BYTES:
                        if not skipping and not self._send(self._unreadable(b"")):
                            return
                        buffer, skipping = b"", True
                    break
                line, buffer = buffer[:end], buffer[end + 1 :]
                if skipping:
                    skipping = False
                    continue
                if not line.strip(b"\r\n"):
                    continue  # the LF of a CRLF, or an empty line
                if not self._send(self.answer(line)):
                    return

    def _send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def _unreadable(self, line: bytes) -> bytes:
        self.unreadable += 1
        if self.unreadable >= MAX_UNREADABLE:
            logger.warning("SIP2 %s: only unreadable messages, closed", self.peer)
            self.session.closing = True
        return codec.encode(codec.Response("96"), checksummed=b"AZ" in line[-8:])

    def answer(self, line: bytes) -> bytes:
        """The bytes that answer the message ``line``."""
        try:
            request = codec.parse(line)
        except codec.ChecksumMismatch as error:
            logger.info("SIP2 %s: %s", self.peer, error)
            return self._unreadable(line)
        except codec.MalformedMessage as error:
            logger.info("SIP2 %s: unreadable message (%s)", self.peer, error)
            return self._unreadable(line)
        self.unreadable = 0
        if request.code == "97":  # resend the last answer
            return self.last_answer or codec.encode(codec.Response("96"))
        close_old_connections()  # as a web request starts
        try:
            with translation.override(settings.LANGUAGE_CODE):
                try:
                    response = messages.answer(self.session, request)
                except Exception:
                    logger.exception("SIP2 %s: %s failed", self.peer, request.code)
                    response = messages.refusal(
                        request, _("Something went wrong. Try again, or ask at the desk.")
                    )
        finally:
            close_old_connections()  # as a web request ends
        data = codec.encode(response, sequence=request.sequence, checksummed=request.checksummed)
        self.last_answer = data
        return data


def _terminator(buffer: bytes) -> int:
    """Where the first message in ``buffer`` ends (CR or LF), or -1."""
    ends = [index for index in (buffer.find(b"\r"), buffer.find(b"\n")) if index >= 0]
    return min(ends) if ends else -1


class Handler(socketserver.BaseRequestHandler):
    server: Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        try:
            sock.settimeout(self.server.idle_timeout)
            if self.server.ssl_context is not None:
                # The handshake here, in the connection's own thread and under its timeout: a
                # client that never finishes it holds no one else up.
                sock = self.server.ssl_context.wrap_socket(sock, server_side=True)
            logger.debug("SIP2 %s: connected", peer)
            Connection(sock, peer, str(self.client_address[0])).serve()
        except (OSError, ssl.SSLError) as error:
            logger.info("SIP2 %s: %s", peer, error)
        finally:
            connections.close_all()  # this thread's database connection
            with contextlib.suppress(OSError):
                sock.close()


class Server(socketserver.ThreadingTCPServer):
    """The SIP2 server; ``serve_forever()`` runs it, ``shutdown()`` stops it from another
    thread. Connections over ``max_connections`` are closed at once."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float | None = None,
        connections_allowed: int | None = None,
    ):
        if ":" in address[0]:  # an IPv6 address ("::" for all of them)
            self.address_family = socket.AF_INET6
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout() if timeout is None else timeout
        self._slots = threading.BoundedSemaphore(
            max_connections() if connections_allowed is None else connections_allowed
        )
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            logger.warning("SIP2: too many connections, %s refused", client_address[0])
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("SIP2 %s: connection failed", client_address[0])
