"""One action run on several threads released at the same moment, for tests of races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(count: int, action: Callable[[], T]) -> tuple[list[T], list[BaseException]]:
    """``action`` on ``count`` threads that start together: what each returned, and
    what any raised (a thread's failure is the test's to report)."""
    start = threading.Barrier(count)
    results: list[T] = []
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(action())
        except BaseException as exc:  # collected for the caller's assertion
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures
