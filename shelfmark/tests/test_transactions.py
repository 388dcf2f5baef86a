"""shelfmark.transactions: locked re-reads, immediate constraints, bounded retries."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import OperationalError, connection, transaction

from catalog.models import Author, Subject
from shelfmark.errors import Conflict, NotFound
from shelfmark.testing.races import race
from shelfmark.transactions import ATTEMPTS, lock_row, service_transaction


class FakeDeadlock(Exception):
    sqlstate = "40P01"


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = FakeDeadlock()
    return error


@pytest.mark.django_db
def test_lock_row_reads_the_row_or_says_not_found():
    author = Author.objects.create(name="Locked Author")
    with transaction.atomic():
        assert lock_row(Author, author.pk) == author
    with pytest.raises(NotFound, match=f"No author with id {author.pk + 1}"):
        lock_row(Author, author.pk + 1)


@pytest.mark.django_db(transaction=True)
def test_a_deadlocked_service_runs_again_from_the_start():
    attempts = []

    @service_transaction
    def write() -> str:
        attempts.append(connection.in_atomic_block)
        Subject.objects.create(name=f"Attempt {len(attempts)}")
        if len(attempts) < ATTEMPTS:
            raise deadlock()
        return "done"

    assert write() == "done"
    assert attempts == [True] * ATTEMPTS  # each attempt in its own transaction
    assert list(Subject.objects.values_list("name", flat=True)) == [f"Attempt {ATTEMPTS}"]


@pytest.mark.django_db(transaction=True)
def test_a_service_that_keeps_deadlocking_is_a_conflict():
    calls = mock.Mock(side_effect=deadlock())
    with pytest.raises(Conflict) as error:
        service_transaction(calls)()
    assert calls.call_count == ATTEMPTS
    assert error.value.code == "concurrent_change"


@pytest.mark.django_db
def test_inside_a_callers_transaction_a_deadlock_is_a_conflict_at_once():
    # The caller's transaction is aborted: only the caller could run it again.
    calls = mock.Mock(side_effect=deadlock())
    with pytest.raises(Conflict), transaction.atomic():
        service_transaction(calls)()
    assert calls.call_count == 1


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_in_a_service_inside_another_runs_the_outer_one_again():
    """An import's batch (written, then counted, in one service transaction) whose write, itself
    a service, deadlocks: the outer one runs again, the write with it."""
    outer_calls = []
    inner = mock.Mock(side_effect=[deadlock(), "written"])

    @service_transaction
    def outer() -> str:
        outer_calls.append(1)
        Subject.objects.create(name=f"Outer attempt {len(outer_calls)}")
        return service_transaction(inner)()

    assert outer() == "written"
    assert (len(outer_calls), inner.call_count) == (2, 2)
    assert list(Subject.objects.values_list("name", flat=True)) == ["Outer attempt 2"]


@pytest.mark.django_db
def test_other_database_errors_are_not_retried():
    calls = mock.Mock(side_effect=OperationalError("disk full"))
    with pytest.raises(OperationalError):
        service_transaction(calls)()
    assert calls.call_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_is_retried_until_both_writes_succeed():
    first = Author.objects.create(name="First")
    second = Author.objects.create(name="Second")
    # Each holds one row, then asks for the other: PostgreSQL aborts one of the two (the loser),
    # whose service transaction then runs again from the start.
    both_hold_one = threading.Barrier(2)
    # The loser's second try starts once the other write has committed. Released at once, it
    # could take back the row its abort had just freed before the winner (waiting for that row)
    # was scheduled again to take it, which a busy machine makes likely: a second deadlock,
    # with either of them its victim.
    one_committed = threading.Event()

    def locker(one: Author, other: Author) -> str:
        tries = 0

        @service_transaction
        def write() -> str:
            nonlocal tries
            tries += 1
            if tries > 1:
                assert one_committed.wait(timeout=30), "the other write never committed"
            lock_row(Author, one.pk)
            if tries == 1:
                both_hold_one.wait(timeout=10)
            lock_row(Author, other.pk)
            return f"done after {tries}"

        done = write()
        one_committed.set()
        return done

    outcomes = race(lambda: locker(first, second), lambda: locker(second, first))

    assert sorted(outcomes) == ["done after 1", "done after 2"], outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_constraints_are_checked_at_the_statement_inside_a_service():
    @service_transaction
    def dangling_link() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO catalog_bookauthor (book_id, author_id, position) VALUES (-1, -1, 0)"
            )
        pytest.fail("the insert should have failed at once, not at COMMIT")

    with pytest.raises(Exception, match="foreign key"):
        dangling_link()
