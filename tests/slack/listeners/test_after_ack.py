"""bot.slack.listeners.after_ack: the bounded pool that runs Bolt's lazy listeners."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from bot.slack.listeners.after_ack import AfterAck, refused

WAIT = 10.0  # seconds any step may take before the test fails


class Gate:
    """Work that runs until the test opens the gate, recording whether it ran refused."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.started = threading.Event()

    def work(self, record: list[bool]) -> Callable[[], None]:
        def run() -> None:
            record.append(refused())
            if not refused():
                self.started.set()
                assert self.opened.wait(WAIT)

        return run


@pytest.fixture
def pool() -> Iterator[AfterAck]:
    after_ack = AfterAck(workers=1, queue=1)
    yield after_ack
    after_ack.shutdown(wait=True, cancel_futures=True)


def test_work_runs_unrefused_and_passes_its_arguments(pool: AfterAck) -> None:
    seen: list[tuple[int, str, bool]] = []
    future = pool.submit(lambda a, *, b: seen.append((a, b, refused())), 1, b="x")
    future.result(WAIT)
    assert seen == [(1, "x", False)]
    assert refused() is False  # the flag never leaks out of the work


def test_when_workers_and_queue_are_full_the_next_one_runs_at_once_refused(pool) -> None:
    gate, record = Gate(), []
    running = pool.submit(gate.work(record))
    waiting = pool.submit(gate.work(record))
    assert gate.started.wait(WAIT)
    told: list[bool] = []
    pool.submit(lambda: told.append(refused())).result(WAIT)  # while both slots are taken
    assert told == [True]
    assert not waiting.done()  # the refusal did not wait behind the queue
    gate.opened.set()
    running.result(WAIT)
    waiting.result(WAIT)
    assert record == [False, False]
    later: list[bool] = []
    pool.submit(lambda: later.append(refused())).result(WAIT)  # slots are given back
    assert later == [False]


def test_work_that_waited_too_long_for_a_worker_is_refused_when_its_turn_comes() -> None:
    now = [0.0]
    pool = AfterAck(workers=1, queue=1, max_wait=600, clock=lambda: now[0])
    try:
        gate, record = Gate(), []
        pool.submit(gate.work(record))
        assert gate.started.wait(WAIT)
        late = pool.submit(gate.work(record))
        now[0] = 601.0  # the queued one has now waited over ten minutes
        gate.opened.set()
        late.result(WAIT)
        assert record == [False, True]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_wait_idle_returns_once_everything_submitted_has_finished(pool) -> None:
    assert pool.wait_idle(0)  # nothing submitted
    gate, record = Gate(), []
    pool.submit(gate.work(record))
    assert gate.started.wait(WAIT)
    assert not pool.wait_idle(0.05)  # still running
    gate.opened.set()
    assert pool.wait_idle(WAIT)
    assert record == [False]


def test_shutdown_lets_the_running_work_finish_and_drops_the_queued(pool) -> None:
    gate, record = Gate(), []
    running = pool.submit(gate.work(record))
    queued = pool.submit(gate.work(record))
    dropped = threading.Event()
    queued.add_done_callback(lambda _future: dropped.set())
    assert gate.started.wait(WAIT)
    stopper = threading.Thread(target=pool.shutdown, kwargs={"cancel_futures": True})
    stopper.start()
    assert dropped.wait(WAIT)  # dropped while the running one still runs
    assert not running.done()
    gate.opened.set()  # what `stopping` does to a running answer: its wait ends
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert running.done() and not running.cancelled()
    assert queued.cancelled()
    assert record == [False]
    assert pool.wait_idle(0)
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)


def test_api_bound_answers_have_their_own_lane() -> None:
    """Answers waiting for the Tencent API never take the workers of the other answers."""
    pool = AfterAck(workers=1, queue=0, api_workers=1, api_queue=1)
    try:
        gate, record = Gate(), []
        lates: list[bool] = []

        def fetch(late: bool) -> None:
            lates.append(late)
            gate.work(record)()

        assert pool.submit_api_bound(fetch)  # running
        assert pool.submit_api_bound(fetch)  # waiting
        assert not pool.submit_api_bound(fetch)  # the lane is full: refused
        assert gate.started.wait(WAIT)
        told: list[bool] = []
        pool.submit(lambda: told.append(refused())).result(WAIT)  # answered meanwhile
        assert told == [False]
        gate.opened.set()
        assert pool.wait_idle(WAIT)
        assert lates == [False, False]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_an_api_bound_answer_that_waited_too_long_is_told_so() -> None:
    now = [0.0]
    pool = AfterAck(api_workers=1, api_queue=1, max_wait=60, clock=lambda: now[0])
    try:
        gate, record, lates = Gate(), [], []
        pool.submit_api_bound(lambda late: gate.work(record)())
        assert gate.started.wait(WAIT)
        pool.submit_api_bound(lates.append)
        now[0] = 61.0
        gate.opened.set()
        assert pool.wait_idle(WAIT)
        assert lates == [True]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
