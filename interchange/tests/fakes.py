"""A recorded Open Library for tests: an httpx.MockTransport answering from the JSON files in
tests/data/openlibrary/, scripted per path, that records every request it gets."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
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
