"""The queue depths on /metrics: gauges read from the shared database when scraped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.store import Store
from bot.store.content import STATE_OFF, STATE_READY


class QueueDepths(Collector):
    """Gauges read from the store when scraped (cached for `max_age` seconds): deliveries not
    yet sent, by state; recordings still transcoding; content still to fetch."""

    def __init__(
        self, store: Store, *, max_age: float = 1.0, clock: Callable[[], float] = time.monotonic
    ):
        self.store = store
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._values: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        counts = self.store.deliveries.counts()
        values = {
            f"deliveries_{state}": float(counts[state])
            for state in ("pending", "posting", "failed")
        }
        # The same figures `/recordings status` shows: watched recordings, content to fetch.
        values["recordings_transcoding"] = float(self.store.recordings.pending_count())
        values["content_due"] = float(
            sum(
                n
                for (_kind, state), n in self.store.content.status_counts().items()
                if state not in (STATE_READY, STATE_OFF)
            )
        )
        return values

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = self.clock()
            if self._read_at is None or now - self._read_at >= self.max_age:
                self._values = self._read()
                self._read_at = now
            values = dict(self._values)
        family = GaugeMetricFamily(
            "recordings_queue_depth",
            "Work waiting in the shared database, by queue.",
            labels=["queue"],
        )
        for name, value in sorted(values.items()):
            family.add_metric([name], value)
        yield family
