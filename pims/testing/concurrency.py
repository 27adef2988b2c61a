"""Real concurrent writers for race tests: each callable runs in its own
thread, hence on its own database connection, released together by a
barrier. Used on PostgreSQL (`transaction=True` tests); SQLite serialises
writers at BEGIN (config.settings: IMMEDIATE) and its in-memory test
database is shared-cache, so the tests skip there."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent connections need PostgreSQL"
)


def race(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run `calls` at once; returns each one's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 — the test inspects it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
