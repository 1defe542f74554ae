"""The bot's health, read from the store: what `/recordings status`, `/healthz` and the admins'
App Home show. Every process reads the same facts, whichever of them runs the poller.

The poller's part of it is one record with one writer and one reader, both here: the poller
calls `record_cycle_start` and `record_cycle` (with a `CycleRecord`), and `read_poller_record`
reads the facts back for `collect_health`. The store's keys below are on disk in every
database already: renaming one loses what existing databases hold.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.i18n import _
from bot.models import RecordMeeting, Route
from bot.routing import quarantine_reason
from bot.store import Store
from bot.store.content import STATE_NO_STS
from bot.store.content import STATES as CONTENT_STATES
from bot.store.deliveries import Delivery
from bot.store.engine import DATABASE_ERRORS
from bot.tencent.throttle import CORP_RECORDS_BUCKET

# The poller's health record in store.state (the on-disk names).
_STARTED_AT = "poller.last_started_at"  # when the last cycle started
_LAST_CYCLE = "poller.last_cycle"  # what the last finished cycle did (CycleRecord.summary)
_LAST_SUCCESS_AT = "poller.last_success_at"
_CONSECUTIVE_FAILURES = "poller.consecutive_failures"
_LAST_ERROR = "poller.last_error"  # {"at", "message"} of the last failed cycle
_NEXT_RUN_AT = "poller.next_run_at"
_MALFORMED = "sync.malformed"  # {"at", "records" (the first 5), "count"}; None once clean
MALFORMED_SHOWN = 5  # malformed records kept for /recordings status
UNWRITTEN_KEPT = 100  # failed cycles kept in memory while the database takes no writes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleRecord:
    """What one finished poll cycle leaves in the health record."""

    started_at: float
    finished_at: float
    calls: int = 0
    fetched: int = 0
    completed: int = 0
    sent: int = 0
    failed: int = 0
    error: str | None = None  # None: the cycle succeeded
    malformed: tuple[str, ...] = ()  # records the API sent broken, left out

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> dict[str, Any]:
        """The last cycle as stored (and shown by /recordings status)."""
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "ok": self.ok,
            "calls": self.calls,
            "fetched": self.fetched,
            "completed": self.completed,
            "sent": self.sent,
            "failed": self.failed,
            "error": self.error,
        }


def record_cycle_start(store: Store, started_at: float) -> None:
    """A poll cycle started (a cycle that starts but never finishes shows as failing)."""
    store.state.set(_STARTED_AT, started_at)


def record_cycle(store: Store, cycle: CycleRecord, *, next_run_at: float) -> None:
    """A poll cycle finished: its summary, the malformed records, the run of failures (or the
    success that ends it), and when the next cycle is due. All or nothing (one transaction)."""
    with store.transaction():
        _record_cycle(store, cycle, next_run_at)


def _record_cycle(store: Store, cycle: CycleRecord, next_run_at: float) -> None:
    state = store.state
    state.set(_LAST_CYCLE, cycle.summary())
    if cycle.malformed:
        # Left out, never silently: shown by /recordings status until a cycle reads clean.
        state.set(
            _MALFORMED,
            {
                "at": cycle.finished_at,
                "records": list(cycle.malformed[:MALFORMED_SHOWN]),
                "count": len(cycle.malformed),
            },
        )
    elif cycle.ok:
        state.set(_MALFORMED, None)
    if cycle.ok:
        state.set(_LAST_SUCCESS_AT, cycle.finished_at)
        state.set(_CONSECUTIVE_FAILURES, 0)
    else:
        state.set(_LAST_ERROR, {"at": cycle.finished_at, "message": cycle.error})
        state.increment(_CONSECUTIVE_FAILURES)
    state.set(_NEXT_RUN_AT, next_run_at)


class CycleLog:
    """Writes finished cycles to the health record; a cycle the database cannot take (locked,
    read-only) is kept in memory, in order, and written as soon as it takes writes again, so
    no failed cycle goes unrecorded. At most UNWRITTEN_KEPT wait (the oldest are dropped)."""

    def __init__(self, keep: int = UNWRITTEN_KEPT):
        self._waiting: deque[tuple[CycleRecord, float]] = deque(maxlen=keep)

    @property
    def waiting(self) -> int:
        """Cycles not yet written."""
        return len(self._waiting)

    def discard(self) -> None:
        """Forget the waiting cycles (another process runs the poller and records its own)."""
        log.info("%d unrecorded poll cycle(s) dropped: another process polls", len(self._waiting))
        self._waiting.clear()

    def record(self, store: Store, cycle: CycleRecord, *, next_run_at: float) -> bool:
        """Record `cycle` after any still waiting; False when it has to wait too."""
        self._waiting.append((cycle, next_run_at))
        return self.flush(store)

    def flush(self, store: Store) -> bool:
        """Write the waiting cycles, oldest first; False (and they keep waiting) on a DB error."""
        while self._waiting:
            cycle, next_run_at = self._waiting[0]
            try:
                record_cycle(store, cycle, next_run_at=next_run_at)
            except DATABASE_ERRORS as exc:
                log.warning(
                    "could not record the poll cycle in %s (%s); %d cycle(s) kept until it can",
                    store.path,
                    exc,
                    len(self._waiting),
                )
                return False
            self._waiting.popleft()
        return True


@dataclass(frozen=True)
class PollerRecord:
    """The poller's health record as the store holds it (see `record_cycle`)."""

    last_started_at: float | None = None
    last_success_at: float | None = None
    last_cycle: dict[str, Any] | None = None
    consecutive_failures: int = 0
    last_error: dict[str, Any] | None = None
    next_run_at: float | None = None
    malformed: dict[str, Any] | None = None


def read_poller_record(store: Store) -> PollerRecord:
    state = store.state
    return PollerRecord(
        last_started_at=state.get(_STARTED_AT),
        last_success_at=state.get(_LAST_SUCCESS_AT),
        last_cycle=state.get(_LAST_CYCLE),
        consecutive_failures=int(state.get(_CONSECUTIVE_FAILURES, 0) or 0),
        last_error=state.get(_LAST_ERROR),
        next_run_at=state.get(_NEXT_RUN_AT),
        malformed=state.get(_MALFORMED),
    )


@dataclass
class Health:
    healthy: bool
    summary: str
    last_success_at: float | None
    last_cycle: dict[str, Any] | None
    next_run_at: float | None
    consecutive_failures: int
    last_error: dict[str, Any] | None
    poller_holder: str | None
    pending: list[RecordMeeting] = field(default_factory=list)
    stuck: list[RecordMeeting] = field(default_factory=list)
    calls_last_minute: int = 0
    calls_today: int = 0
    rate_limit: int = 10
    undelivered: list[Delivery] = field(default_factory=list)
    broken_routes: list[Route] = field(default_factory=list)
    # Stored routes the bot cannot use (a regex RE2 refuses), with why: they match nothing.
    quarantined_routes: list[tuple[Route, str]] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    malformed: dict[str, Any] | None = None  # records the API sent broken in the last cycle
    passwords_kept: bool = True  # PASSWORD_KEY is set: passwords are stored, encrypted
    # What was said: pieces of content (minutes, chapters, transcripts) by state, every kind
    # together ({"ready": 3, "generating": 1, "off": 0, "no_sts": 2, "error": 0}); and whether
    # some wait for an STS token while none usable has arrived.
    content: dict[str, int] = field(default_factory=dict)
    sts_needed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "summary": self.summary,
            "last_success_at": self.last_success_at,
            "next_run_at": self.next_run_at,
            "consecutive_failures": self.consecutive_failures,
            "pending": len(self.pending),
            "stuck": len(self.stuck),
            "calls_last_minute": self.calls_last_minute,
            "calls_today": self.calls_today,
            "rate_limit": self.rate_limit,
            "undelivered": len(self.undelivered),
            "broken_routes": len(self.broken_routes),
            "quarantined_routes": len(self.quarantined_routes),
            "malformed_records": (self.malformed or {}).get("count", 0),
            "content": dict(self.content),
            "sts_needed": self.sts_needed,
        }


def collect_health(store: Store, settings: Settings, now: float | None = None) -> Health:
    now = store.now() if now is None else now
    poller = read_poller_record(store)
    last_success = poller.last_success_at
    started = poller.last_started_at
    failures = poller.consecutive_failures
    stale_after = 3 * settings.poll_interval_seconds + 60
    if started is None:
        healthy, summary = True, _("starting: no poll cycle has run yet")
    elif failures >= 2:
        healthy, summary = (
            False,
            _("failing: the last {count} poll cycles failed").format(count=failures),
        )
    elif last_success is None and now - started > stale_after:
        healthy, summary = False, _("failing: no poll cycle has succeeded yet")
    elif last_success is not None and now - last_success > stale_after:
        healthy, summary = (
            False,
            _("stale: no successful poll for {seconds} s").format(seconds=int(now - last_success)),
        )
    else:
        healthy, summary = True, _("ok")
    midnight = datetime.fromtimestamp(now, settings.tz).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    content = content_counts(store)
    sts_info = store.sts.info()
    sts_needed = content.get(STATE_NO_STS, 0) > 0 and not (sts_info and sts_info.usable)
    webhook = None
    if settings.tencent_webhook_token:
        webhook = store.webhooks.stats(midnight.timestamp())
    return Health(
        healthy=healthy,
        summary=summary,
        last_success_at=last_success,
        last_cycle=poller.last_cycle,
        next_run_at=poller.next_run_at,
        consecutive_failures=failures,
        last_error=poller.last_error,
        poller_holder=store.leases.holder("poller"),
        pending=store.recordings.pending(now, settings.pending_max_hours),
        stuck=store.recordings.stuck(),
        calls_last_minute=store.budget.calls_since(CORP_RECORDS_BUCKET, now - 60),
        calls_today=store.budget.calls_since(CORP_RECORDS_BUCKET, midnight.timestamp()),
        rate_limit=settings.tencent_rate_limit,
        undelivered=store.deliveries.undelivered(),
        broken_routes=store.routes.broken(),
        quarantined_routes=[
            (r, why) for r in store.routes.list() if (why := quarantine_reason(r)) is not None
        ],
        webhook=webhook,
        malformed=poller.malformed,
        passwords_kept=store.passwords.keeps,
        content=content,
        sts_needed=sts_needed,
    )


def content_counts(store: Store) -> dict[str, int]:
    """Pieces of content by state, every kind together (each state present, 0 when none)."""
    counts = dict.fromkeys(CONTENT_STATES, 0)
    for (_kind, state), n in store.content.status_counts().items():
        counts[state] = counts.get(state, 0) + n
    return counts
