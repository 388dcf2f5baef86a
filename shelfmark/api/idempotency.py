"""``Idempotency-Key`` on the API's POSTs: a retry gets the first answer, and nothing is done twice.

A view opts in by mixing in ``IdempotentPost`` before the operation that defines its ``post``
(``class CheckoutApi(IdempotentPost, CreateMixin, LoanApi)``); the schema then documents the
header and the 422. The rules - what is kept, replayed, refused - and their one implementation
are shelfmark.idempotency's; this is the DRF side of it: the body as DRF parsed it, errors as
DRF's handler answers them, answers rendered with the API's renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from rest_framework.request import Request
from rest_framework.response import Response

from shelfmark.api.renderers import OrjsonRenderer
from shelfmark.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    Answer,
    answer_once,
    keyed_request,
    parse_key,
)

_renderer = OrjsonRenderer()


class IdempotentPost:
    """A kit view's POST that honours ``Idempotency-Key`` (see shelfmark.idempotency). Mix it in
    before the operation that defines ``post``."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A mixin: ``post`` is the next class's in the view's method resolution order.
        run = super().post  # type: ignore[misc]
        key = parse_key(request.headers.get(HEADER))
        if key is None:
            return run(request, *args, **kwargs)
        keyed = keyed_request(
            request.user, key, method=request.method or "", path=request.path, body=request.data
        )
        return answer_once(
            keyed,
            lambda: _run(self, lambda: run(request, *args, **kwargs)),
            as_answer=_as_answer,
            replay=_replay,
        )


def _run(view: Any, run: Callable[[], Response]) -> Response:
    try:
        return run()
    except Exception as error:  # DRF's handler answers it, or raises it again
        # The answer DRF would give, so that it can be kept; what its handler does not answer
        # (a bug: 500) is raised again, and rolls everything back.
        response: Response = view.handle_exception(error)
        return response


def _as_answer(response: Response) -> Answer:
    data = response.data
    error = data.get("error") if isinstance(data, dict) else None
    return Answer(
        status_code=response.status_code,
        body="" if data is None else _renderer.render(data).decode(),
        location=response.headers.get("Location", ""),
        error_code=str(error.get("code")) if isinstance(error, dict) else None,
    )


def _replay(answer: Answer) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    if answer.location:
        headers["Location"] = answer.location
    data = orjson.loads(answer.body) if answer.body else None
    return Response(data, status=answer.status_code, headers=headers)
