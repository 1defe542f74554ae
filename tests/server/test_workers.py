"""The bounded work queue: items done on worker threads, a full queue refused at once,
wait_idle on a condition, close after the queued work. Threads are held and released with
events, never timed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.server.workers import WorkQueue


class Held:
    """A handler that holds each item until released, and records what it finished."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)  # one release per item taken
        self.done: list[int] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, item: int) -> None:
        self.started.release()
        assert self.release.wait(10)
        with self._lock:
            self.done.append(item)
            self.threads.add(threading.current_thread().name)

    def wait_started(self, n: int = 1) -> None:
        for _ in range(n):
            assert self.started.acquire(timeout=5), "a worker should have taken an item"


@pytest.fixture
def held() -> Iterator[Held]:
    held = Held()
    yield held
    held.release.set()


def test_items_are_done_and_wait_idle_returns_when_they_are(held: Held) -> None:
    work: WorkQueue[int] = WorkQueue(held, workers=2, name="test")
    assert work.wait_idle(0)  # nothing submitted: idle at once
    assert all(work.submit(i) for i in range(5))
    held.wait_started(2)  # both workers hold an item
    assert not work.wait_idle(0.05)  # held: cannot be idle
    held.release.set()
    assert work.wait_idle(5)
    assert sorted(held.done) == [0, 1, 2, 3, 4]
    assert held.threads <= {"test-0", "test-1"}
    work.close()


def test_a_full_queue_refuses_at_once(held: Held) -> None:
    work: WorkQueue[int] = WorkQueue(held, workers=1, size=2)
    assert work.submit(1)
    held.wait_started()  # the worker holds 1: the queue is empty again
    assert work.submit(2) and work.submit(3)
    assert not work.submit(4)  # two waiting: full
    held.release.set()
    assert work.wait_idle(5)
    assert held.done == [1, 2, 3]
    assert work.submit(5)  # room again
    assert work.wait_idle(5)
    work.close()


def test_close_finishes_the_queued_work_then_stops_the_workers(held: Held) -> None:
    work: WorkQueue[int] = WorkQueue(held, workers=2, name="closing")
    for i in range(4):
        assert work.submit(i)
    held.wait_started(2)
    closer = threading.Thread(target=work.close)
    closer.start()
    held.release.set()
    closer.join(10)
    assert not closer.is_alive()
    assert sorted(held.done) == [0, 1, 2, 3]
    assert not any(t.name.startswith("closing-") for t in threading.enumerate())
    assert not work.submit(9)  # closed: refused, nothing queued
    assert work.wait_idle(0)


def test_a_failing_item_is_logged_and_the_worker_goes_on(caplog) -> None:
    done: list[int] = []

    def handle(item: int) -> None:
        if item == 1:
            raise ValueError("boom")
        done.append(item)

    work: WorkQueue[int] = WorkQueue(handle, workers=1)
    assert work.submit(1) and work.submit(2)
    assert work.wait_idle(5)
    assert done == [2]
    assert "work item failed" in caplog.text
    work.close()
