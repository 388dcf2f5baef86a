"""``Idempotency-Key``: a request sent again with the same key gets the first answer, and its work
is never done twice. The rules, the table that keeps the answers and the one implementation of
them live here; two thin adapters put it on views: ``shelfmark.api.idempotency.IdempotentPost``
for the API's DRF views, ``shelfmark.pages.idempotent_post`` for the website's plain views (the
desk's scans). What a request with the header gets:

- A key this user has not used: the request runs in one transaction with the key's row, which
  keeps its answer (status, body, Location). Not kept - the row is rolled back with the rest -
  are answers a retry should not repeat: input errors (400: fix the body and send it again
  with the same key), ``concurrent_change`` (409: "send it again"), and server errors.
  Refusals of the work itself (403, 404, 409, 410) and every success are kept.
- The same key again, with the same method, path and body: the kept answer, marked with the
  ``Idempotent-Replayed: true`` header. Nothing runs.
- The same key with another request: 422 ``idempotency_key_reused``.
- Two requests at once with one key: the second's insert of the key waits on the unique index
  until the first one's transaction ends, then replays its answer (or, when the first kept
  nothing, runs itself). So they never both run.

The table is core's (``core.IdempotencyKey``, below every app, so any app's views may use it),
named by ``settings.IDEMPOTENCY_KEY_MODEL`` ("app_label.Model", as AUTH_USER_MODEL names the
user model) and built on the abstract model here: the project's plumbing names no app, and has
no tables of its own. Here rather than in ``shelfmark.api`` so that models import no web layer.

Keys are per user and kept at least ``KEEP`` (24 hours); ``idempotency_keys_purge`` removes
older ones, for scheduled work to call (core's daily ``purge_old_records``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shelfmark.errors import Conflict, DomainError, InvalidInput
from shelfmark.transactions import ATTEMPTS

# Clients may retry with the same key for at least this long.
KEEP = datetime.timedelta(hours=24)
KEY_MAX_LENGTH = 255
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

Response = TypeVar("Response")


class IdempotencyKeyBase(models.Model):
    """One user's key and the answer the request sent with it got.

    The row is written in the same transaction as the work the request does, so the key and
    the work commit together or not at all; a second request with the same key waits on the
    unique index until the first one ends, then reads its answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    fingerprint = models.CharField(
        max_length=64,
        help_text=gettext_lazy("SHA-256 of the method, path and body: what 'the same' means."),
    )
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField(
        blank=True, help_text=gettext_lazy("The answer's JSON, as it was sent.")
    )
    location = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="%(class)s_once_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="%(class)s_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path} → {self.status_code})"


def idempotency_key_model() -> type[IdempotencyKeyBase]:
    """The project's table of keys (settings.IDEMPOTENCY_KEY_MODEL)."""
    model = apps.get_model(settings.IDEMPOTENCY_KEY_MODEL)
    assert issubclass(model, IdempotencyKeyBase), settings.IDEMPOTENCY_KEY_MODEL
    return model


def idempotency_keys_purge(
    *, older_than: datetime.timedelta = KEEP, now: datetime.datetime | None = None
) -> int:
    """Delete the keys (and their answers) older than ``older_than``, at least ``KEEP``: a
    client retrying within that window must still get the first answer. Returns how many."""
    if older_than < KEEP:
        raise ValueError(f"Keys are kept at least {KEEP}; {older_than} is shorter.")
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = idempotency_key_model()._default_manager.filter(created_at__lt=cutoff).delete()
    return deleted


# --- One request's key ---------------------------------------------------------------------------


class IdempotencyKeyReused(DomainError):
    status_code = 422
    default_code = "idempotency_key_reused"


@dataclass(frozen=True)
class KeyedRequest:
    """A request sent with a key, as the table knows it."""

    user_id: int
    key: str
    method: str
    path: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """An answer as the table keeps it; ``error_code`` (the error shape's ``code``, for an
    error) decides whether it is kept, and is not stored."""

    status_code: int
    body: str
    location: str = ""
    error_code: str | None = None


def parse_key(header: str | None) -> str | None:
    """The key the header holds, or None without the header; a malformed key is a 400."""
    if header is None:
        return None
    if not re.fullmatch(KEY_PATTERN, header):
        # KEY_RULE's words, in a whole sentence to translate.
        raise InvalidInput(
            _(
                "The %(header)s header must be 1 to %(max_length)d visible ASCII characters, "
                "no spaces; a new random one (a UUID) for each new request, the same one for "
                "its retries."
            )
            % {"header": HEADER, "max_length": KEY_MAX_LENGTH},
            code="invalid_idempotency_key",
        )
    return header


def keyed_request(user: Any, key: str, *, method: str, path: str, body: Any) -> KeyedRequest:
    """``key`` for this user's request; ``body`` is what the request sends, as JSON values."""
    if not user.is_authenticated or user.pk is None:
        raise InvalidInput(
            _("An %(header)s needs a signed-in account: keys are kept per account.")
            % {"header": HEADER},
            code="invalid_idempotency_key",
        )
    return KeyedRequest(
        user_id=user.pk,
        key=key,
        method=method,
        path=path[:2000],
        fingerprint=fingerprint(method, path, body),
    )


def fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests 'the same': method, path and body (as JSON with sorted keys, so
    spacing and key order do not count)."""
    # The standard library's encoder, not orjson: it takes any JSON a client can send (numbers
    # past 64 bits, lone surrogates escaped) and gives ASCII.
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(text.encode("ascii"))
    return digest.hexdigest()


def answer_once(
    request: KeyedRequest,
    run: Callable[[], Response],
    *,
    as_answer: Callable[[Response], Answer],
    replay: Callable[[Answer], Response],
) -> Response:
    """``run``'s response, its answer kept under the request's key; the kept answer, through
    ``replay``, when the key was used for this same request before. ``as_answer`` says what a
    response is as the table keeps it (see the module docstring for what is kept)."""
    model = idempotency_key_model()
    outcome: tuple[Response, Answer] | None = None
    for _attempt in range(ATTEMPTS):
        with transaction.atomic():
            claimed = _claim(model, request)
            if claimed is None:
                continue  # the key's row vanished between our insert and our read: again
            record, ours = claimed
            if not ours:
                return replay(_kept(record, request))
            response = run()
            answer = as_answer(response)
            outcome = response, answer
            if _keeps(answer) and not transaction.get_rollback():
                record.status_code = answer.status_code
                record.body = answer.body
                record.location = answer.location[:2000]
                record.save(update_fields=["status_code", "body", "location"])
                return response
            # Nothing kept: the key is free again, and whatever the work did is undone with it.
            transaction.set_rollback(True)
        if answer.error_code not in TRANSIENT_CODES:
            return response
        # A deadlock inside the work: the service's own retries cannot run inside this
        # transaction, so the whole of it, key included, runs again here.
    if outcome is None:
        raise Conflict(
            _("The request collided with another one using the same key; send it again."),
            code="concurrent_change",
        )
    return outcome[0]


def _claim(
    model: type[IdempotencyKeyBase], request: KeyedRequest
) -> tuple[IdempotencyKeyBase, bool] | None:
    """The key's row and whether it is ours: inserted now, its answer still to be filled in (a
    concurrent request with the same key now waits for this transaction), or kept already by
    an earlier request. None when that row was there at the insert and is gone at the read
    (purged in between)."""
    record = model(
        user_id=request.user_id,
        key=request.key,
        method=request.method,
        path=request.path,
        fingerprint=request.fingerprint,
        status_code=0,  # set before commit; no other transaction ever sees this value
        created_at=timezone.now(),
    )
    # INSERT … ON CONFLICT DO NOTHING rather than a savepoint around an insert that may fail:
    # two statements fewer on every keyed request. It waits, as the plain insert did, for a
    # transaction holding the same key, and then inserts nothing if that one committed.
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(quote(f.column or f.attname) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        "ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted = cursor.fetchone()
    if inserted is None:
        kept = model._default_manager.filter(user_id=request.user_id, key=request.key).first()
        return None if kept is None else (kept, False)
    record.pk = inserted[0]
    record._state.adding = False
    return record, True


def _keeps(answer: Answer) -> bool:
    if answer.status_code < 400:
        return True
    return answer.status_code in KEPT_REFUSALS and answer.error_code not in TRANSIENT_CODES


def _kept(record: IdempotencyKeyBase, request: KeyedRequest) -> Answer:
    """The kept answer, when it answered this same request."""
    if record.fingerprint != request.fingerprint:
        same_target = (record.method, record.path) == (request.method, request.path)
        values = {
            "header": HEADER,
            # A moment in UTC, as the API writes times (not the site's date format).
            "time": f"{record.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            "method": record.method,
            "path": record.path,
            "hours": int(KEEP.total_seconds() // 3600),
        }
        if same_target:
            message = _(
                "This %(header)s was used at %(time)s UTC for another request (with another "
                "body). Send a new key for a new request; keys are kept for at least %(hours)d "
                "hours."
            )
        else:
            message = _(
                "This %(header)s was used at %(time)s UTC for another request (for %(method)s "
                "%(path)s). Send a new key for a new request; keys are kept for at least "
                "%(hours)d hours."
            )
        raise IdempotencyKeyReused(message % values)
    return Answer(status_code=record.status_code, body=record.body, location=record.location)
