"""The work after the ack: Bolt's lazy listeners, run on a few threads with a bounded queue.

Every listener acknowledges at once on the request's own thread (the app runs with
`process_before_response=True`, so no I/O may come before the ack) and hands the answer to a
lazy listener. Bolt submits lazy listeners to the app's `listener_executor`, which is an
`AfterAck`:

- at most `workers` answers run at once, and at most `queue` more wait their turn, so a
  request waiting for the Tencent API budget never holds up the acks of later ones;
- when both are full, the lazy listener runs at once on a small separate pool with
  `refused()` true: it only tells the person the bot is busy (through the response_url,
  which is what their answer would have used), and never starts the real work;
- an answer that waited longer than `max_wait` in the queue is refused the same way when its
  turn comes, so nothing is answered after its response_url (valid for 30 minutes) expired.

Answers that must call Tencent Meeting first (a query of a period the store lacks) are
decided up front and moved to a lane of their own (`submit_api_bound`: `api_workers` threads,
at most `api_queue` waiting), so answers from the store, help and status never wait behind
answers that wait for the API budget.

`shutdown(wait=True, cancel_futures=True)` (Services.stop, on SIGTERM) lets the running
answers finish (their waits end at once when the bot is stopping) and drops the queued ones.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

WORKERS = 16  # answers running at once
QUEUE = 64  # answers waiting for a worker
API_WORKERS = 4  # answers fetching from Tencent Meeting at once (at most one per person)
API_QUEUE = 64  # answers waiting to fetch
MAX_WAIT = 10 * 60.0  # seconds an answer may wait for a worker; a response_url lives 30 minutes
NOTICE_WORKERS = 2  # threads that tell people the bot is busy
NOTICE_QUEUE = 256  # busy notices waiting; beyond that, requests are dropped with a warning

_refused: contextvars.ContextVar[bool] = contextvars.ContextVar("after_ack_refused", default=False)


def refused() -> bool:
    """True inside a lazy listener that must only say the bot is busy."""
    return _refused.get()


def _run(fn: Callable[..., Any], args: tuple, kwargs: dict, refuse: bool) -> Any:
    token = _refused.set(refuse)
    try:
        return fn(*args, **kwargs)
    finally:
        _refused.reset(token)


class AfterAck(Executor):
    """Bolt's `listener_executor`: answers on `workers` threads, at most `queue` waiting."""

    def __init__(
        self,
        workers: int = WORKERS,
        queue: int = QUEUE,
        *,
        api_workers: int = API_WORKERS,
        api_queue: int = API_QUEUE,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_wait = max_wait
        self._clock = clock
        self._answers = ThreadPoolExecutor(workers, thread_name_prefix="recordings-answer")
        self._api = ThreadPoolExecutor(api_workers, thread_name_prefix="recordings-fetch")
        self._notices = ThreadPoolExecutor(NOTICE_WORKERS, thread_name_prefix="recordings-busy")
        self._answer_slots = threading.BoundedSemaphore(workers + queue)
        self._api_slots = threading.BoundedSemaphore(api_workers + api_queue)
        self._notice_slots = threading.BoundedSemaphore(NOTICE_QUEUE)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Queue `fn` as an answer; when the queue is full, run it at once as a refusal."""
        if self._answer_slots.acquire(blocking=False):
            queued_at = self._clock()

            def answer() -> Any:
                late = self._clock() - queued_at > self.max_wait
                if late:
                    log.warning("an answer waited over %.0f s for a worker: refused", self.max_wait)
                return _run(fn, args, kwargs, refuse=late)

            return self._start(self._answers, self._answer_slots, answer)
        if self._notice_slots.acquire(blocking=False):
            log.warning("too busy to answer a request: telling its sender")
            return self._start(self._notices, self._notice_slots, _run, fn, args, kwargs, True)
        log.warning("too busy even to say so: a request was dropped")
        dropped: Future = Future()
        dropped.cancel()
        return dropped

    def submit_api_bound(self, work: Callable[[bool], Any]) -> bool:
        """Run `work(late)` on the lane of answers that call Tencent Meeting; False (nothing
        queued) when that lane is full. `late`: it waited over `max_wait` for its turn."""
        if not self._api_slots.acquire(blocking=False):
            log.warning("too many answers waiting for Tencent Meeting: refusing one")
            return False
        queued_at = self._clock()

        def run() -> Any:
            late = self._clock() - queued_at > self.max_wait
            if late:
                log.warning("an answer waited over %.0f s to fetch: refused", self.max_wait)
            return work(late)

        try:
            self._start(self._api, self._api_slots, run)
        except RuntimeError:  # shut down
            return False
        return True

    def _start(
        self, pool: ThreadPoolExecutor, slots: threading.BoundedSemaphore, fn: Callable, *args: Any
    ) -> Future:
        try:
            future = pool.submit(fn, *args)
        except BaseException:  # shut down
            slots.release()
            raise
        with self._idle:
            self._pending += 1

        def done(_future: Future) -> None:
            slots.release()
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

        future.add_done_callback(done)
        return future

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted has finished; False if `timeout` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking work; with `cancel_futures`, drop what still waits for a worker."""
        self._answers.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._api.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._notices.shutdown(wait=wait, cancel_futures=cancel_futures)
