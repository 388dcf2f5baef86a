"""Race tests: several calls released at the same moment, each on its own database connection.

Used by the PostgreSQL-only race tests (``@pytest.mark.postgres`` with
``@pytest.mark.django_db(transaction=True)``: the threads must see each other's commits).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections
from rest_framework.test import APIClient


def race(*calls: Callable[[], Any], timeout: float = 30) -> list[Any]:
    """Run each call in its own thread, all released together by a barrier; their results (or
    the exceptions they raised) in the order of the calls."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing call never finished"
    return outcomes


def api_call(user: AbstractBaseUser, method: str, url: str, body: Any = None) -> Callable[[], int]:
    """A call for ``race``: one API request as ``user``; its result is the status code.

    A 500 is a status like any other here (no exception), so a test can count them.
    """

    def call() -> int:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        response = getattr(client, method.lower())(url, body, format="json")
        return int(response.status_code)

    return call
