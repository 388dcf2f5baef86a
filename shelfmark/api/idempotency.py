"""``Idempotency-Key`` on the API's POSTs: a retry gets the first answer, and nothing is done twice.

A view opts in by mixing in ``IdempotentPost`` before the operation that defines its ``post``
(``class CheckoutApi(IdempotentPost, CreateMixin, LoanApi)``); the schema then documents the
header and the 422. What a request with the header gets:

- A key this user has not used: the request runs in one transaction with the key's row, which
  keeps its answer (status, body, Location). Not kept - the row is rolled back with the rest -
  are answers a retry should not repeat: input errors (400: fix the body and send it again
  with the same key), ``concurrent_change`` (409: "send it again"), and server errors.
  Refusals of the work itself (403, 404, 409) are kept: a retry gets the same refusal.
- The same key again, with the same method, path and body: the kept answer, marked with the
  ``Idempotent-Replayed: true`` header. Nothing runs.
- The same key with another request: 422 ``idempotency_key_reused``.
- Two requests at once with one key: the second's insert of the key waits on the unique index
  until the first one's transaction ends, then replays its answer (or, when the first kept
  nothing, runs itself). So they never both run.

Keys are per user (an account's keys cannot meet another's) and kept at least 24 hours
(shelfmark.idempotency, which holds the table and its purge).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC
from typing import Any

import orjson
from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from shelfmark.api.renderers import OrjsonRenderer
from shelfmark.errors import Conflict, DomainError, InvalidInput
from shelfmark.idempotency import KEEP, KEY_MAX_LENGTH, IdempotencyKeyBase, idempotency_key_model
from shelfmark.transactions import ATTEMPTS

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII, as HTTP header values are safely; a UUID fits.
KEY_PATTERN = rf"[!-~]{{1,{KEY_MAX_LENGTH}}}"
KEY_RULE = (
    f"1 to {KEY_MAX_LENGTH} visible ASCII characters, no spaces; a new random one (a UUID) for "
    "each new request, the same one for its retries"
)
# Answers a retry must not get again: the client fixes its input and resends, or is told to
# send it again. Server errors roll the key back with everything else.
TRANSIENT_CODES = {"concurrent_change"}
KEPT_REFUSALS = {403, 404, 409, 410}

_renderer = OrjsonRenderer()


class IdempotencyKeyReused(DomainError):
    status_code = 422
    default_code = "idempotency_key_reused"


def idempotency_key(request: Request) -> str | None:
    """The request's key, or None without the header; a malformed key is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not re.fullmatch(KEY_PATTERN, key):
        raise InvalidInput(
            f"The {HEADER} header must be {KEY_RULE}.", code="invalid_idempotency_key"
        )
    return key


def fingerprint(request: Request) -> str:
    """What makes two requests 'the same': method, path and body (as JSON with sorted keys, so
    spacing and key order do not count)."""
    # The standard library's encoder, not orjson: it takes any JSON a client can send (numbers
    # past 64 bits, lone surrogates escaped) and gives ASCII.
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body.encode("ascii"))
    return digest.hexdigest()


class IdempotentPost:
    """A kit view's POST that honours ``Idempotency-Key`` (see the module docstring). Mix it in
    before the operation that defines ``post``."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A mixin: ``post`` is the next class's in the view's method resolution order.
        run = super().post  # type: ignore[misc]
        key = idempotency_key(request)
        if key is None:
            return run(request, *args, **kwargs)
        return answer_once(self, request, key, lambda: run(request, *args, **kwargs))


def answer_once(view: Any, request: Request, key: str, run: Callable[[], Response]) -> Response:
    """``run``'s answer, kept under ``key`` for the signed-in user; the kept answer when the key
    was used for this same request before."""
    user_id = request.user.pk
    if not request.user.is_authenticated or user_id is None:
        raise InvalidInput(
            f"An {HEADER} needs a signed-in account: keys are kept per account.",
            code="invalid_idempotency_key",
        )
    model = idempotency_key_model()
    request_fingerprint = fingerprint(request)
    response: Response | None = None
    for _attempt in range(ATTEMPTS):
        with transaction.atomic():
            claimed = _claim(model, request, user_id, key, request_fingerprint)
            if claimed is None:
                continue  # the key's row vanished between our insert and our read: again
            record, ours = claimed
            if not ours:
                return _replay(record, request, request_fingerprint)
            response = _run(view, run)
            if _keeps(response) and not transaction.get_rollback():
                _keep(record, response)
                return response
            # Nothing kept: the key is free again, and whatever the work did is undone with it.
            transaction.set_rollback(True)
        if _error_code(response) not in TRANSIENT_CODES:
            return response
        # A deadlock inside the work: the service's own retries cannot run inside this
        # transaction, so the whole of it, key included, runs again here.
    if response is None:
        raise Conflict(
            "The request collided with another one using the same key; send it again.",
            code="concurrent_change",
        )
    return response


def _claim(
    model: type[IdempotencyKeyBase],
    request: Request,
    user_id: int,
    key: str,
    request_fingerprint: str,
) -> tuple[IdempotencyKeyBase, bool] | None:
    """The key's row and whether it is ours: inserted now, its answer still to be filled in (a
    concurrent request with the same key now waits for this transaction), or kept already by
    an earlier request. None when that row was there at the insert and is gone at the read
    (purged in between)."""
    record = model(
        user_id=user_id,
        key=key,
        method=request.method or "",
        path=request.path[:2000],
        fingerprint=request_fingerprint,
        status_code=0,  # set before commit; no other transaction ever sees this value
    )
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        kept = model._default_manager.filter(user_id=user_id, key=key).first()
        return None if kept is None else (kept, False)
    return record, True


def _run(view: Any, run: Callable[[], Response]) -> Response:
    try:
        return run()
    except Exception as error:  # DRF's handler answers it, or raises it again
        # The answer DRF would give, so that it can be kept; what its handler does not answer
        # (a bug: 500) is raised again, and rolls everything back.
        response: Response = view.handle_exception(error)
        return response


def _error_code(response: Response) -> str | None:
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("code"))
    return None


def _keeps(response: Response) -> bool:
    if response.status_code < 400:
        return True
    return response.status_code in KEPT_REFUSALS and _error_code(response) not in TRANSIENT_CODES


def _keep(record: IdempotencyKeyBase, response: Response) -> None:
    record.status_code = response.status_code
    record.body = "" if response.data is None else _renderer.render(response.data).decode()
    record.location = response.headers.get("Location", "")[:2000]
    record.save(update_fields=["status_code", "body", "location"])


def _replay(record: IdempotencyKeyBase, request: Request, request_fingerprint: str) -> Response:
    if record.fingerprint != request_fingerprint:
        same_target = (record.method, record.path) == (request.method, request.path)
        other = "with another body" if same_target else f"for {record.method} {record.path}"
        used_at = record.created_at.astimezone(UTC)
        raise IdempotencyKeyReused(
            f"This {HEADER} was used at {used_at:%Y-%m-%d %H:%M:%S} UTC for another request "
            f"({other}). Send a new key for a new request; keys are kept for at least "
            f"{int(KEEP.total_seconds() // 3600)} hours."
        )
    headers = {REPLAYED_HEADER: "true"}
    if record.location:
        headers["Location"] = record.location
    data = orjson.loads(record.body) if record.body else None
    return Response(data, status=record.status_code, headers=headers)
