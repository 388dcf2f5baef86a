"""How services use the database, so that concurrent requests meet domain errors, never 500s.

Every write service runs in ``service_transaction``, and re-reads the rows it changes with
``lock_row``:

- A row can vanish between the view's lookup and the service's lock (a double-clicked DELETE):
  ``lock_row`` turns "gone" into the domain's NotFound (404) instead of ``DoesNotExist``.
- PostgreSQL checks foreign keys at COMMIT by default (Django creates them DEFERRABLE INITIALLY
  DEFERRED), which is after the service's own error handling: a book naming an author that a
  concurrent request deletes failed there, as a 500. Inside a service transaction constraints
  are checked at once, so the violation surfaces at the statement, inside the service, where it
  becomes a Conflict; and the check's KEY SHARE lock makes a concurrent delete wait instead.
- Lock order cannot always be made canonical (two requests creating the same new names in
  opposite order, unique index entries taken in different orders): a deadlock or serialization
  failure aborts the transaction, which is then retried a few times from the start, and if it
  keeps failing, answered as a Conflict asking to try again.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Model, ProtectedError
from django.utils.translation import gettext as _

from shelfmark.errors import Conflict, NotFound

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=Model)

logger = logging.getLogger(__name__)

ATTEMPTS = 3
# SQLSTATEs after which running the same transaction again can succeed.
RETRYABLE = {"40P01": "deadlock", "40001": "serialization failure"}


# How many service transactions this thread is inside (connections are per thread, too).
_services = threading.local()


def _retryable(error: OperationalError) -> str | None:
    return RETRYABLE.get(getattr(error.__cause__, "sqlstate", None) or "")


def service_transaction(function: Callable[P, R]) -> Callable[P, R]:
    """Run a write service in one transaction that checks constraints immediately and is
    retried after a deadlock or serialization failure (see the module docstring).

    Called inside a transaction that is already open (a command loading many books), the
    service joins it; a deadlock then aborts that outer transaction, which only its owner can
    retry, so it is reported at once as a Conflict. Inside another service transaction (an
    import's batch, written and counted together), the deadlock goes up to that one, which runs
    the whole again.
    """

    name = getattr(function, "__qualname__", repr(function))

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outermost = not connection.in_atomic_block
        inside_a_service = getattr(_services, "depth", 0) > 0
        for attempt in range(1, ATTEMPTS + 1):
            _services.depth = getattr(_services, "depth", 0) + 1
            try:
                with transaction.atomic():
                    if connection.vendor == "postgresql":
                        with connection.cursor() as cursor:
                            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    return function(*args, **kwargs)
            except OperationalError as error:
                reason = _retryable(error)
                if reason is None or inside_a_service:
                    raise
                logger.warning("%s: %s on attempt %d of %d", name, reason, attempt, ATTEMPTS)
                if not outermost:
                    break
            finally:
                _services.depth -= 1
        raise Conflict(
            _(
                "The change collided with other changes being made at the same moment; "
                "send it again."
            ),
            code="concurrent_change",
        )

    return run


def lock_row(model: type[M], pk: object, *, no_key: bool = False) -> M:
    """The row ``pk`` of ``model``, locked for update until the transaction ends; NotFound
    when it is not there (deleted meanwhile, or never was).

    ``no_key=True`` takes PostgreSQL's weaker FOR NO KEY UPDATE, for a change that leaves the
    row's identity alone: rows referencing it (a new copy of a book being edited) can still be
    added meanwhile, where FOR UPDATE would make them wait. Deletes need the full lock.
    """
    row = model._default_manager.select_for_update(no_key=no_key).filter(pk=pk).first()
    if row is None:
        raise NotFound(
            _("No %(name)s with id %(pk)s.") % {"name": model._meta.verbose_name, "pk": pk}
        )
    return row


def delete_or_conflict(row: Model, *, in_use: str) -> None:
    """Delete ``row``; a reference to it is a Conflict (409) naming what refers to it, whether
    the reference was there already (Django's PROTECT) or appeared meanwhile (the database's
    foreign key). ``in_use`` says it when the database cannot tell what the reference is."""
    try:
        with transaction.atomic():
            row.delete()
    except ProtectedError as error:
        counts = Counter(obj._meta.verbose_name_plural for obj in error.protected_objects)
        what = ", ".join(f"{kind} ({count})" for kind, count in sorted(counts.items()))
        raise Conflict(
            _("'%(object)s' cannot be deleted: it is still referred to by %(references)s.")
            % {"object": row, "references": what},
            code="in_use",
        ) from None
    except IntegrityError:
        raise Conflict(in_use, code="in_use") from None
