"""The pool shared by drivers without one of their own (SQLite's)."""

from __future__ import annotations

import threading
import time

import pytest

from monozu.db.errors import Timeout
from monozu.db.pool import SimplePool


class _Conn:
    def close(self) -> None:
        return None


def test_a_connection_given_back_goes_to_the_thread_waiting_longest() -> None:
    """With a plain semaphore a thread that gave its connection back and asked again
    at once took it before the waiter it had woken: with more threads than
    connections, some waited out the whole timeout while the pool turned over every
    few milliseconds."""
    pool: SimplePool[_Conn] = SimplePool(_Conn, max_size=1, timeout=5)
    first = pool.acquire()
    order: list[str] = []

    def waiter() -> None:
        conn = pool.acquire()
        order.append("waiter")
        pool.release(conn)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)  # the waiter is waiting
    pool.release(first)
    again = pool.acquire()
    order.append("the thread that gave it back")
    pool.release(again)
    thread.join()
    assert order == ["waiter", "the thread that gave it back"]


def test_a_wait_that_runs_out_gives_up_its_place() -> None:
    pool: SimplePool[_Conn] = SimplePool(_Conn, max_size=1, timeout=0.05)
    first = pool.acquire()
    with pytest.raises(Timeout, match=r"no connection free within 0\.05 s"):
        pool.acquire()
    pool.release(first)
    assert pool.stats()["idle"] == 1
    pool.release(pool.acquire())  # the slot the timed-out waiter had asked for is free



def test_a_waiter_interrupted_leaves_no_claim_on_a_connection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A slot handed to a waiter that is no longer there would be lost for good."""
    pool: SimplePool[_Conn] = SimplePool(_Conn, max_size=1, timeout=5)
    first = pool.acquire()

    def interrupted(self: threading.Event, timeout: float | None = None) -> bool:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(threading.Event, "wait", interrupted)
        with pytest.raises(KeyboardInterrupt):
            pool.acquire()
    pool.release(first)
    pool.release(pool.acquire())  # a release after the interrupt hands it to nobody gone
