"""The poller: each cycle syncs the recent window, re-checks pending recordings, and delivers.

Only the holder of the "poller" lease in SQLite runs cycles, so several processes on one
database never poll (or post) twice; the lease expires if its holder dies, and passes on at once
when the holder is known dead (its OS lock beside the database is free: bot/store/liveness.py).

Which windows a cycle fetches: the API filters only by time, so a recording still at state 1 or 2
is re-read by fetching a window that contains its start. The cycle compares two plans and takes
the one that needs fewer calls (pages of 20, estimated from what the store already holds):
  - one window from the earliest pending recording (or the lookback) to now;
  - the lookback window, plus a one-second window around each older pending recording.
When nothing changed and the lookback holds at most 20 recordings, a cycle costs one call.

Once an hour the cycle reads further back, over PENDING_MAX_HOURS: Tencent does not document
which time its range filter applies to, so a recording that shows up in the API late (long
after its start) is still found within the hour, not lost behind the lookback.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from bot import metrics
from bot.access import AccessDesk
from bot.config import Settings
from bot.content_fetch import ContentFetcher, FetchReport
from bot.delivery import Deliverer
from bot.delivery.quarantine import report_quarantined
from bot.health import CycleLog, CycleRecord, record_cycle_start
from bot.held import held_stale, route_held_again, routes_settled
from bot.i18n import _, use_language
from bot.stopping import ShuttingDown
from bot.store import Store
from bot.store.engine import DATABASE_ERRORS, describe_error
from bot.sync import WATERMARK_KEY, SyncOutcome, poller_horizon, sync_range
from bot.tencent.client import TencentMeetingClient
from bot.tencent.errors import TencentError

log = logging.getLogger(__name__)

LEASE_NAME = "poller"
DEEP_SWEEP_KEY = "poller.last_deep_sweep"
DEEP_SWEEP_EVERY = 3600.0  # seconds between cycles that read back PENDING_MAX_HOURS
PAGE_SIZE = 20


@dataclass
class CyclePlan:
    windows: list[tuple[int, int]]
    estimated_calls: int
    deep: bool = False  # this cycle reads back PENDING_MAX_HOURS (the hourly sweep)


@dataclass
class CycleReport:
    ran: bool = False  # False when another process holds the lease
    ok: bool = False
    synced: SyncOutcome = field(default_factory=SyncOutcome)  # every window's sync, merged
    stuck: list[str] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    updated: int = 0
    error: str | None = None
    windows: list[tuple[int, int]] = field(default_factory=list)
    content: FetchReport | None = None  # what the content job asked Tencent for
    thread_replies: int = 0  # minutes messages posted in recordings' threads

    @property
    def calls(self) -> int:
        return self.synced.calls

    @property
    def fetched(self) -> int:
        return self.synced.fetched

    @property
    def completed(self) -> list[str]:
        return self.synced.completed

    @property
    def malformed(self) -> list[str]:
        return self.synced.malformed


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))


def plan_cycle(store: Store, now: float, settings: Settings) -> CyclePlan:
    """Choose the windows of one cycle (see the module docstring)."""
    end = int(now)
    start = poller_horizon(store, now, settings.poll_lookback_hours * 3600)
    last_sweep = store.state.get(DEEP_SWEEP_KEY)
    if last_sweep is not None and now - last_sweep >= DEEP_SWEEP_EVERY:  # not on a first run
        deep_start = int(now - settings.pending_max_hours * 3600)
        if deep_start < start:
            return CyclePlan(
                [(deep_start, end)], _pages(store.recordings.count_in_range(deep_start, end)), True
            )
    pending = store.recordings.pending(now, settings.pending_max_hours)
    older = sorted({m.start_seconds for m in pending if m.start_seconds < start})

    recent_calls = _pages(store.recordings.count_in_range(start, end))
    if not older:
        return CyclePlan([(start, end)], recent_calls)

    one_window = (older[0] - 1, end)
    one_window_calls = _pages(store.recordings.count_in_range(*one_window))
    narrow = [(t - 1, t + 1) for t in older]
    narrow_calls = recent_calls + sum(
        _pages(store.recordings.count_in_range(a, b)) for a, b in narrow
    )
    if one_window_calls <= narrow_calls:
        return CyclePlan([one_window], one_window_calls)
    return CyclePlan([(start, end), *narrow], narrow_calls)


class Poller:
    """Runs poll cycles; safe to call from a scheduler thread or the CLI."""

    def __init__(
        self,
        store: Store,
        client: TencentMeetingClient,
        deliverer: Deliverer | None,
        settings: Settings,
        *,
        holder: str | None = None,
        stopping: threading.Event | None = None,
        access: AccessDesk | None = None,
    ):
        self.store = store
        self.client = client
        self.deliverer = deliverer
        self.access = access  # requests to view recordings: those not yet sent to Slack
        self.settings = settings
        self.holder = holder or holder_id()
        self.stopping = stopping or threading.Event()  # set: finish no more work
        self._running = threading.Lock()
        self.cycles = CycleLog()  # failed cycles the database could not take yet
        self.content = ContentFetcher(store, client)

    @property
    def lease_ttl(self) -> float:
        if self.settings.poll_lease_seconds > 0:
            return self.settings.poll_lease_seconds
        return max(120.0, 3.0 * self.settings.poll_interval_seconds)

    def run_cycle(self) -> CycleReport:
        report = CycleReport()
        if not self._running.acquire(blocking=False):
            return report  # a cycle is already running in this process
        started = time.monotonic()
        try:
            self._run(report)
        finally:
            self._running.release()
        if report.ran:
            outcome = "ok" if report.ok else "failed"
            metrics.CYCLES.labels(outcome).inc()
            metrics.CYCLE_SECONDS.labels(outcome).observe(time.monotonic() - started)
        return report

    def _run(self, report: CycleReport) -> None:
        """Take the lease, run the cycle, record it: every failure, even the database's own
        (locked, read-only) at the very start, ends in `report.error` and the health record."""
        started = self.store.now()
        try:
            if not self.store.leases.acquire(LEASE_NAME, self.holder, self.lease_ttl):
                log.debug("another process holds the poller lease; standing by")
                if self.cycles.waiting:  # its own cycles are what status shows now
                    self.cycles.discard()
                return
            self.cycles.flush(self.store)  # failures kept while the database took no writes
            report.ran = True
            record_cycle_start(self.store, started)
        except DATABASE_ERRORS as exc:
            report.ran = True  # it may hold the lease; the failure is this process's to report
            report.error = f"database {self.store.path}: {describe_error(exc)}"
            log.warning("poll cycle failed before it started: %s", report.error)
            self._record(report, started)
            return
        try:
            self._cycle(report, started)
        except ShuttingDown:
            log.info("poll cycle interrupted: the bot is stopping")
            return
        except Exception as exc:  # a cycle must never kill the scheduler; it is reported
            log.exception("poll cycle failed")
            report.error = report.error or f"{type(exc).__name__}: {exc}"
        report.ok = report.error is None
        if not report.ok:
            log.warning("poll cycle failed: %s", report.error)
        self._record(report, started)

    def _record(self, report: CycleReport, started: float) -> None:
        """The cycle in the health record, or kept in memory until the database takes it."""
        finished = self.store.now()
        self.cycles.record(
            self.store,
            CycleRecord(
                started_at=started,
                finished_at=finished,
                calls=report.calls,
                fetched=report.fetched,
                completed=len(report.completed),
                sent=report.sent,
                failed=report.failed,
                error=report.error,
                malformed=tuple(report.malformed),
            ),
            next_run_at=finished + self.settings.poll_interval_seconds,
        )

    def _cycle(self, report: CycleReport, started: float) -> None:
        state = self.store.state
        try:
            if self.deliverer is not None:
                report_quarantined(self.store, self.deliverer.notices)
            if held_stale(self.store) and routes_settled(self.store):  # bot/held.py
                route_held_again(self.store, self.settings.default_channel)
            plan = plan_cycle(self.store, started, self.settings)
            report.windows = plan.windows
            for start, end in plan.windows:
                report.synced += sync_range(
                    self.store,
                    self.client,
                    start,
                    end,
                    default_channel=self.settings.default_channel,
                    # A catch-up after downtime can take many pages at 10 a minute.
                    on_page=lambda *_: self._keep_going_or_stop(),
                )
            state.set(WATERMARK_KEY, int(started))
            if plan.deep or state.get(DEEP_SWEEP_KEY) is None:
                state.set(DEEP_SWEEP_KEY, started)
            report.stuck = self._give_up_on_stuck(started)
        except ShuttingDown:
            raise
        except TencentError as exc:
            report.error = f"Tencent Meeting: {exc}"
        except Exception as exc:  # a cycle must never kill the scheduler; it is reported
            log.exception("poll cycle failed")
            report.error = f"{type(exc).__name__}: {exc}"
        # Deliver even when the sync failed: what is already due must not wait for the API.
        if self.deliverer is not None:
            try:
                delivered = self.deliverer.deliver_due(keep_going=self._renew_lease)
                report.sent, report.failed = delivered.sent, delivered.failed
                report.updated = delivered.updated
                if delivered.error and not report.error:
                    report.error = f"Slack: {delivered.error}"
            except ShuttingDown:
                raise
            except Exception as exc:
                log.exception("delivery failed")
                report.error = report.error or f"Slack: {type(exc).__name__}: {exc}"
        self._content(report)

    def _content(self, report: CycleReport) -> None:
        """What was said: ask Tencent for the content due (a few calls, background, on the
        content bucket), then post the minutes that are ready in their threads. Its failures
        are logged, never the cycle's: recordings' posts come first."""
        try:
            report.content = self.content.run()
            if self.store.content.optimize_index_if_due():  # keeps 2-character words fast
                log.info("transcript search index merged")
        except ShuttingDown:
            raise
        except Exception:
            log.exception("fetching recordings' content failed")
        if self.deliverer is None or not self._renew_lease():
            return
        try:
            threads = self.deliverer.threads.post_due()
            report.thread_replies = threads.posted
            if threads.error:
                log.warning("posting minutes in threads: %s", threads.error)
        except ShuttingDown:
            raise
        except Exception:
            log.exception("posting minutes in threads failed")
        self._access_requests()

    def _access_requests(self) -> None:
        """Send the requests to view a recording that could not be sent when they arrived."""
        if self.access is None:
            return
        try:
            self.access.post_due()
        except ShuttingDown:
            raise
        except Exception:
            log.exception("sending access requests failed")

    def _keep_going_or_stop(self) -> None:
        if not self._renew_lease() and self.stopping.is_set():
            raise ShuttingDown("stopping")

    def _renew_lease(self) -> bool:
        """Keep the lease while working; False (stop) once it is lost or the process stops."""
        if self.stopping.is_set():
            return False
        return self.store.leases.acquire(LEASE_NAME, self.holder, self.lease_ttl)

    def _give_up_on_stuck(self, now: float) -> list[str]:
        """Recordings pending longer than PENDING_MAX_HOURS are reported, not watched forever."""
        too_old = self.store.recordings.overdue(now, self.settings.pending_max_hours)
        if too_old:
            self.store.recordings.mark_stuck(too_old)
            log.warning(
                "%d recording(s) still not transcoded after %.0f h: reported as stuck",
                len(too_old),
                self.settings.pending_max_hours,
            )
            if self.deliverer is not None:
                with use_language(self.settings.bot_language):
                    text = _(
                        ":warning: {count} recording(s) did not finish transcoding within "
                        "{hours} h and are no longer watched. See `/recordings status`."
                    ).format(count=len(too_old), hours=f"{self.settings.pending_max_hours:.0f}")
                self.deliverer.notify_admins(text)
        return too_old

    def release(self) -> None:
        self.store.leases.release(LEASE_NAME, self.holder)


def start_scheduler(poller: Poller, interval_seconds: int):
    """Run poller.run_cycle every interval on APScheduler: no overlapping runs, missed runs
    coalesced into one, the first run at once."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        poller.run_cycle,
        "interval",
        seconds=interval_seconds,
        id="poll",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=interval_seconds,
        next_run_time=_utcnow(),
    )
    scheduler.start()
    return scheduler


def _utcnow():
    from datetime import UTC, datetime

    return datetime.now(UTC)
