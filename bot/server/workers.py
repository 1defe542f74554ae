"""A small bounded work queue, done by a few worker threads.

The webhook endpoint answers Tencent at once and leaves the work here. The queue is bounded:
when it is full, `submit` says so at once (the caller leaves the work to someone else, here the
poller) instead of queueing without end. `wait_idle` waits on a condition until every submitted
item is done; `close` lets the workers finish what is queued, then stops them.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class WorkQueue(Generic[Item]):
    """`handle(item)` for each submitted item, on `workers` threads, at most `size` waiting."""

    def __init__(
        self,
        handle: Callable[[Item], None],
        *,
        workers: int = 2,
        size: int = 256,
        name: str = "worker",
    ):
        self._handle = handle
        self._size = size
        self._items: deque[Item] = deque()
        self._unfinished = 0  # submitted and not yet handled (waiting or in hand)
        self._closing = False
        self._lock = threading.Lock()
        self._has_work = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, item: Item) -> bool:
        """Queue `item`; False (nothing queued) when the queue is full or closed."""
        with self._lock:
            if self._closing or len(self._items) >= self._size:
                return False
            self._items.append(item)
            self._unfinished += 1
            self._has_work.notify()
        return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted item is handled; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Take no more items, let the workers finish those queued, then stop them."""
        with self._lock:
            self._closing = True
            self._has_work.notify_all()
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._has_work.wait_for(lambda: self._items or self._closing)
                if not self._items:
                    return  # closing, and nothing is left
                item = self._items.popleft()
            try:
                self._handle(item)
            except Exception:  # a worker outlives any one item
                log.exception("work item failed")
            finally:
                with self._lock:
                    self._unfinished -= 1
                    if self._unfinished == 0:
                        self._idle.notify_all()
