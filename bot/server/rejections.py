"""One log line per refused request, at most so many a minute: a flood costs bounded log.

A refused request (a bad Slack signature, a forged Tencent webhook, a body too large) is logged
on one line that names the reason and never carries the body or a header's value. Past
`per_minute` lines in a minute, refusals are only counted; the first line of the next minute
says how many went unlogged. At 20 lines of about 100 bytes a minute, an endless flood adds
about 3 MB a day per endpoint, whatever the size or rate of the requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

LINES_PER_MINUTE = 20
_WINDOW = 60.0


class RejectionLog:
    """Logs refusals on `logger` at WARNING, at most `per_minute` lines a minute."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        per_minute: int = LINES_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.logger = logger
        self.what = what  # e.g. "slack request": the line reads "<what> refused (...)"
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start: float | None = None
        self._logged = 0
        self._unlogged = 0

    def refused(self, status: str, reason: str, remote: str | None = None) -> bool:
        """Log one refusal (`status` e.g. "401", `reason` payload-free); False when only counted."""
        with self._lock:
            now = self._clock()
            unlogged_before = 0
            if self._window_start is None or now - self._window_start >= _WINDOW:
                unlogged_before, self._unlogged = self._unlogged, 0
                self._window_start, self._logged = now, 0
            if self._logged >= self.per_minute:
                self._unlogged += 1
                return False
            self._logged += 1
            last = self._logged == self.per_minute
        if unlogged_before:
            self.logger.warning(
                "%s: %d more refused in the last minute were not logged", self.what, unlogged_before
            )
        self.logger.warning(
            "%s refused (%s): %s%s%s",
            self.what,
            status,
            reason,
            f" from {remote}" if remote else "",
            "; further refusals this minute are counted, not logged" if last else "",
        )
        return True
