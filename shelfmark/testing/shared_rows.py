"""Rows made once for all the tests of a module, as Django's ``TestCase.setUpTestData`` makes them
for a class: inside a transaction around the module's tests, which each run in a savepoint of it
(pytest-django's ``db``) and so see the rows as made, whatever the test before changed; the
transaction is rolled back after the last one.

For a module whose tests all read the same catalog: making 28 books for each of 63 search tests
took 80 s of CI's PostgreSQL pass. Only for tests that use ``db`` (a transactional test cannot
run inside the transaction), and pytest tears a module's fixture down before a test of another
module runs, so no other test sees the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction


@contextmanager
def rows_for_the_module(django_db_blocker: Any) -> Iterator[None]:
    """Open the module's transaction: what the block makes before its ``yield`` is the rows."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)
