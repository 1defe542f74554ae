"""The webhook's fast path: a `recording.completed` payload's recordings, posted in seconds.

The work for a `recording.completed` payload: find the meeting's recordings in a narrow window of
the corp/records API (see `fetch_window`), save them and plan their deliveries exactly as the
poller does, then post the completed ones of this meeting through the exactly-once ledger. When
the store already holds them complete with every file the event names, nothing is fetched. When
the API does not show them complete yet, or the API fails or the budget is spent, nothing is
posted now: the next poll cycle posts them. Whatever the order of webhook, retries and polls,
the ledger's atomic claims leave one message per channel.

The endpoint (bot/server/tencent_webhook.py) verifies and records the event and hands each
payload to `FastPath.complete` on a worker thread; the fast path knows nothing of HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.delivery import Deliverer
from bot.delivery.report import DeliveryReport
from bot.models import BACKGROUND, STATE_DONE, RecordMeeting
from bot.store import Store
from bot.sync import save_and_plan
from bot.tencent.client import MAX_SPAN, TencentMeetingClient
from bot.tencent.errors import TencentError
from bot.tencent.webhook import EventPayload, WebhookEvent

log = logging.getLogger(__name__)

WINDOW_MARGIN = 60  # seconds either side of a meeting's start in the corp/records window
FETCH_MAX_WAIT = 10.0  # seconds a worker waits for an API slot before leaving it to the poller
EARLY_POLL_GAP = 30.0  # at most one early poll cycle this often (events without a start time)


# -- pure decisions ------------------------------------------------------------------------------
def fetch_window(payload: EventPayload, known_starts: Iterable[int] = ()) -> tuple[int, int] | None:
    """The corp/records window [start, end] (Unix s) that holds this meeting's recordings.

    corp/records filters on media_start_time, the meeting's start: the event's
    meeting_info.start_time +- WINDOW_MARGIN finds it in one call (one page) however busy the
    account. Starts of this meeting's recordings the store already knows (seen unfinished by the
    poller) are included, so a recording started late in a long meeting is found too. With
    neither, None: a window guessed from operate_time (e.g. the last 24 h) could take many pages
    of the 10-a-minute budget, so the caller runs one early poll cycle instead, which covers the
    poller's lookback at its usual cost.
    """
    points = sorted({*known_starts, *([payload.start_time] if payload.start_time else [])})
    if not points:
        return None
    start, end = points[0] - WINDOW_MARGIN, points[-1] + WINDOW_MARGIN
    if end - start > MAX_SPAN and payload.start_time:
        start, end = payload.start_time - WINDOW_MARGIN, payload.start_time + WINDOW_MARGIN
    elif end - start > MAX_SPAN:
        start = end - MAX_SPAN
    return max(0, start), end


def complete_in_store(meetings: Sequence[RecordMeeting], record_file_ids: Iterable[str]) -> bool:
    """True when these stored recordings of the meeting are all complete and hold every file
    the event names: the store (and the ledger) already know all there is to know. An event
    naming no file proves nothing (a new recording of the meeting may be unknown yet)."""
    wanted = set(record_file_ids)
    if not meetings or not wanted or any(m.state != STATE_DONE for m in meetings):
        return False
    return wanted <= {f.record_file_id for m in meetings for f in m.record_files}


# -- the work ------------------------------------------------------------------------------------
@dataclass
class FastPathCounters:
    """What the fast path did with the payloads it was given (for tests, the bench and logs)."""

    fetched: int = 0  # payloads that needed a corp/records fetch
    from_store: int = 0  # payloads the store already held complete
    delivered: int = 0  # recordings handed to the deliverer
    not_ready: int = 0  # not complete in the API yet: left to the poller
    failed: int = 0  # API errors or no budget: left to the poller
    early_polls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)


class FastPath:
    """Completes `recording.completed` payloads; safe to call from several threads."""

    def __init__(
        self,
        store: Store,
        tencent: TencentMeetingClient,
        deliverer: Deliverer | None,
        poll_now: Callable[[], object],
        *,
        default_channel: str,
        pending_max_hours: float,
        fetch_max_wait: float = FETCH_MAX_WAIT,
        counters: FastPathCounters | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.tencent = tencent
        self.deliverer = deliverer
        self.poll_now = poll_now  # one poll cycle, now (the poller's run_cycle)
        self.default_channel = default_channel
        self.pending_max_hours = pending_max_hours
        self.fetch_max_wait = fetch_max_wait
        self.counters = counters if counters is not None else FastPathCounters()
        self._monotonic = monotonic
        self._last_early_poll: float | None = None
        self._early_lock = threading.Lock()

    def deleted(self, event: WebhookEvent) -> list[str]:
        """A `recording.deleted` event: each recording all of whose files it names is marked
        deleted, and its messages are edited to say so. Returns the ids newly marked (a repeated
        or late event marks nothing again; a recording the store never held is left alone)."""
        named = [fid for payload in event.payloads for fid in payload.record_file_ids]
        owners = self.store.recordings.ids_of_files(named)
        whole = []
        for mid, files in owners.items():
            meeting = self.store.recordings.get(mid)
            if meeting is not None and {f.record_file_id for f in meeting.record_files} <= files:
                whole.append(mid)
            else:  # some of its files only: the next listing shows what is left
                log.info("tencent webhook: files of %s deleted; the poller updates it", mid)
        marked = self.store.recordings.mark_deleted(whole)
        self._edit_messages(marked)
        log.info("tencent webhook: deleted in Tencent Meeting: %s", ", ".join(marked) or "none new")
        return marked

    def updated(self, payload: EventPayload) -> None:
        """A `recording.updated` event (renamed, sharing switched, another password): read the
        meeting's recordings afresh and edit their messages where what they show changed. A
        recording Tencent no longer lists (deleted meanwhile, an event late or out of order)
        is left as it is: an update never brings back a deleted recording by itself."""
        window = fetch_window(payload, [])
        if window is None:
            log.info(
                "webhook: an update of meeting %s without a start time: left to the poller",
                payload.meeting_id,
            )
            return
        fetched = self._fetch(window, f"update of meeting {payload.meeting_id}")
        if fetched is None:
            return
        mine = [m for m in fetched if m.meeting_id == payload.meeting_id]
        save_and_plan(self.store, mine, self.default_channel, notify=True)
        self._edit_messages([m.meeting_record_id for m in mine])

    def _fetch(self, window: tuple[int, int], what: str) -> list[RecordMeeting] | None:
        """The recordings in `window` (background priority); None when Tencent failed, and the
        poller is left to catch up with `what`."""
        try:
            return list(
                self.tencent.list_corp_records(
                    window[0], window[1], priority=BACKGROUND, max_wait=self.fetch_max_wait
                )
            )
        except TencentError as exc:
            log.warning("webhook: %s left to the poller: %s", what, exc)
            return None

    def _edit_messages(self, meeting_record_ids: Iterable[str]) -> None:
        """Edit the posted messages of these recordings that are flagged for it."""
        if self.deliverer is None:
            return
        report = DeliveryReport()
        for mid in meeting_record_ids:
            self.deliverer.editor.apply_updates(report, only=mid)

    def complete(self, payload: EventPayload) -> None:
        """Fetch (unless the store knows it all), save, and post this meeting's recordings."""
        store = self.store
        count = self.counters.count
        mid = payload.meeting_id
        known = [
            m.start_seconds
            for m in store.recordings.pending(store.now(), self.pending_max_hours)
            if m.meeting_id == mid
        ]
        window = fetch_window(payload, known)
        if window is None:
            self._early_poll(mid)
            return
        stored = [m for m in store.recordings.in_range(*window, limit=500) if m.meeting_id == mid]
        if complete_in_store(stored, payload.record_file_ids):
            count("from_store")
            mine = stored
        else:
            fetched = self._fetch(window, f"meeting {mid}")
            if fetched is None:
                count("failed")
                return
            # Saved and planned as the poller does; the window is not marked synced, so the
            # poller's catch-up after downtime (from the last synced time) skips nothing.
            save_and_plan(store, fetched, self.default_channel, notify=True)
            count("fetched")
            mine = [m for m in fetched if m.meeting_id == mid]
        done = [m for m in mine if m.state == STATE_DONE]
        if not done:
            count("not_ready")
            log.info("webhook: meeting %s is not complete in the API yet; left to the poller", mid)
            return
        if self.deliverer is None:
            return
        for meeting in done:
            report = self.deliverer.deliver_recording(meeting.meeting_record_id)
            count("delivered")
            if report.error:
                log.warning(
                    "webhook: posting %s failed (%s); the poller retries",
                    meeting.meeting_record_id,
                    report.error,
                )

    def _early_poll(self, meeting_id: str) -> None:
        with self._early_lock:
            now = self._monotonic()
            last = self._last_early_poll
            if last is not None and now - last < EARLY_POLL_GAP:
                log.info("webhook: meeting %s left to the next poll cycle", meeting_id)
                return
            self._last_early_poll = now
        self.counters.count("early_polls")
        log.info("webhook: meeting %s has no start time: running a poll cycle now", meeting_id)
        self.poll_now()
