"""A recorded Open Library for tests: an httpx.MockTransport answering from the JSON files in
tests/data/openlibrary/, scripted per path, that records every request it gets; and real local
servers (127.0.0.1, never the network) for sockets, slow answers and redirects."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import httpx
from PIL import Image

DATA = Path(__file__).parent / "data" / "openlibrary"
ISBN = "9780141439518"
BOOKS_API = "/api/books"
EDITION = "/books/OL7353617M.json"
WORK = "/works/OL66554W.json"
COVER = "/b/id/8739161-L.jpg"

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response] | type[Exception]


def recorded(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=(DATA / name).read_bytes(), headers=headers)


def jpeg(width: int = 20, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


class FakeOpenLibrary:
    """``routes``: path -> answers, given out in order (the last one repeats). An answer is a
    Response, a function of the request, or an httpx exception class to raise."""

    def __init__(self, routes: dict[str, list[Answer]]):
        self.routes = routes
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self._lock = threading.Lock()

    @classmethod
    def found(cls) -> FakeOpenLibrary:
        return cls(
            {
                BOOKS_API: [recorded("books_api_pride.json")],
                EDITION: [recorded("edition_OL7353617M.json")],
                WORK: [recorded("work_OL66554W.json")],
                COVER: [
                    httpx.Response(200, content=jpeg(), headers={"Content-Type": "image/jpeg"})
                ],
            }
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            self.times.append(time.monotonic())
            answers = self.routes.get(request.url.path)
            if not answers:
                return httpx.Response(404, json={"error": "notfound"})
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, httpx.Response):
            return httpx.Response(
                answer.status_code, content=answer.content, headers=answer.headers
            )
        if isinstance(answer, type):  # an httpx exception class: raise it
            raise cast(Any, answer)("recorded failure", request=request)
        return answer(request)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]


def json_response(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(data).encode())


def png_declaring(width: int, height: int) -> bytes:
    """A real PNG of ``width`` x ``height`` one-bit pixels, all black: a few kilobytes on disk
    for any size (zeros compress), and width x height pixels for whatever decodes it."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """A real HTTP server on 127.0.0.1, in a thread, for what a mock transport cannot show:
    sockets, answers that drip, redirects between servers. ``handle`` answers every GET; the
    paths asked for are kept in ``paths``. A context manager: the server and the answers still
    going on stop at its end (``stopping`` is set for handlers that loop)."""

    def __init__(self, handle: Handler):
        self.paths: list[str] = []
        self.stopping = threading.Event()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> LocalServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


class Drip:
    """An answer that never ends: the headers at once, then one byte every ``every`` seconds
    (for at most ``for_at_most``) as long as the client reads. ``hung_up_at`` is when the client
    closed the connection (time.monotonic()), or None."""

    def __init__(self, every: float, for_at_most: float = 8.0):
        self.every = every
        self.for_at_most = for_at_most
        self.hung_up_at: float | None = None

    def __call__(self, request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "image/jpeg")
        request.send_header("Content-Length", "1000000")
        request.end_headers()
        ends = time.monotonic() + self.for_at_most
        while time.monotonic() < ends:
            try:
                request.wfile.write(b"\xff")
                request.wfile.flush()
            except OSError:
                self.hung_up_at = time.monotonic()
                return
            time.sleep(self.every)


def redirect_to(location: str) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handle


def image_answer(content: bytes) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "image/jpeg")
        request.send_header("Content-Length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)

    return handle
