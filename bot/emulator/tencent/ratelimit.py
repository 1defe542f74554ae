"""The per-AppId call limit over a rolling window (corp/records allows 10 calls a minute)."""

from __future__ import annotations

import threading
from collections import deque


class RateLimiter:
    """At most `limit` accepted calls per rolling `window` seconds per key; thread-safe."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: str, now: float) -> bool:
        """Count a call at `now` if the window has room; False (and not counted) otherwise."""
        with self._lock:
            calls = self._prune(key, now)
            if len(calls) >= self.limit:
                return False
            calls.append(now)
            return True

    def record(self, key: str, now: float) -> None:
        """Count a call whatever the window holds (a call the server failed on)."""
        with self._lock:
            self._prune(key, now).append(now)

    def used(self, key: str, now: float) -> int:
        with self._lock:
            return len(self._prune(key, now))

    def _prune(self, key: str, now: float) -> deque[float]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        return calls
