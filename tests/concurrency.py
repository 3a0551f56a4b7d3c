"""Running work in several threads at once, for the tests of concurrent writers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_together(count: int, work: Callable[[int], Any]) -> list:
    """Run ``work(n)`` in ``count`` threads released at once, each on its own connection;
    their results, in the order they finished. Any error fails the test."""
    import threading

    from django.db import connections

    results: list = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)
    lock = threading.Lock()

    def side(n: int) -> None:
        try:
            barrier.wait()
            outcome = work(n)
            with lock:
                results.append(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=side, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results
