"""Pacing: at most about one post a second per channel, as Slack asks of chat.postMessage."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    """Spaces the posts to each channel `min_interval` seconds apart. Thread-safe: each caller
    books its turn under a lock, then waits for it outside the lock."""

    def __init__(
        self,
        min_interval: float = 1.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.min_interval = min_interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, channel: str) -> None:
        """Wait until the channel may be posted to (the sleep may raise ShuttingDown)."""
        with self._lock:
            now = self._monotonic()
            wait = self._last_post.get(channel, -1e9) + self.min_interval - now
            self._last_post[channel] = now + max(0.0, wait)
        if wait > 0:
            self._sleep(wait)
