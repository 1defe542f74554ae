"""Fetch recordings for a time range and save them; plan the deliveries of those that completed.

The data flow: client.list_corp_records (a generator over pages) -> store.recordings.save_meetings
(upserts keyed on the API's ids) -> for each recording that just reached state 3, the deliveries
routing chose are planned in the same transaction, so a crash can never leave a completed
recording without its deliveries. Routing itself runs before that transaction opens (for every
fetched completed recording): no matching holds the write lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from bot.models import STATE_DONE, RecordMeeting, RecordsPage
from bot.passwords import strip_hidden
from bot.routing import routes_key, targets_and_held
from bot.store import Store
from bot.store.content import KINDS
from bot.store.held import hold
from bot.tencent.client import CallCount, PageLimit, TencentMeetingClient, split_windows

log = logging.getLogger(__name__)

PageCallback = Callable[[int, int, RecordsPage], None]

WATERMARK_KEY = "poller.watermark"  # the end of the last recent window the poller fully synced
OVERLAP_SECONDS = 600  # re-read the end of the last synced range, for late arrivals

Targets = dict[str, list[tuple[str, int | None]]]  # meeting_record_id -> (channel, route id)


def poller_watermark(store: Store) -> int | None:
    """Up to when the poller has synced the recent window: everything from this point on is
    the poller's to fetch (and post). Only the poller moves it: a person's query or a webhook
    that syncs a narrow recent range must not make the poller skip what came before it."""
    value = store.state.get(WATERMARK_KEY)
    return int(value) if value is not None else None


def poller_horizon(store: Store, now: float, lookback_seconds: float) -> int:
    """Where the poller's next cycle starts reading: the lookback, or further back to catch up
    after downtime (nothing skipped)."""
    start = int(now - lookback_seconds)
    watermark = poller_watermark(store)
    if watermark is not None:
        start = min(start, watermark - OVERLAP_SECONDS)
    return start


@dataclass
class SyncOutcome:
    """What one sync of a range did."""

    fetched: int = 0
    new: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    deliveries_planned: int = 0
    calls: int = 0
    malformed: list[str] = field(default_factory=list)  # records the API sent broken, left out
    deleted: list[str] = field(default_factory=list)  # gone from a complete listing
    truncated: bool = False  # a page limit stopped it before the whole range was read

    def merge(self, other: SyncOutcome) -> SyncOutcome:
        """Add `other` to this outcome (counts add up, lists are joined, `truncated` if either
        was) and return it: the one place outcomes of several ranges are summed, so no caller
        can drop a field."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, bool):
                setattr(self, f.name, mine or theirs)
            elif isinstance(mine, list):
                mine.extend(theirs)
            else:
                setattr(self, f.name, mine + theirs)
        return self

    def __iadd__(self, other: SyncOutcome) -> SyncOutcome:
        return self.merge(other)


@dataclass(frozen=True)
class Routed:
    """Fetched recordings, routed before any write transaction (matching must never hold the
    write lock): what to save (passwords every route hides left out, bot/passwords.py) and the
    channels of the completed ones; `held`: the completed ones a quarantined route holds
    (routed nowhere, bot/held.py), and `routes_key` the routes it all was decided on."""

    meetings: list[RecordMeeting]
    targets: Targets
    held: frozenset[str] = frozenset()
    routes_key: str = ""


def route_fetched(store: Store, meetings: list[RecordMeeting], default_channel: str) -> Routed:
    """Route `meetings` on the routes stored now. Call it outside any transaction."""
    routes = store.routes.list()  # the stored default route included
    default = default_channel or None
    targets: Targets = {}
    held: set[str] = set()
    for m in meetings:
        if m.state != STATE_DONE:
            continue
        chosen, holding = targets_and_held(m, routes, default)
        targets[m.meeting_record_id] = [(r.channel, r.id) for r in chosen]
        if holding and not chosen:
            held.add(m.meeting_record_id)
    kept = strip_hidden(meetings, routes, default)
    return Routed(kept, targets, frozenset(held), routes_key(routes))


def plan_deliveries(
    store: Store, meetings: list[RecordMeeting], targets: Targets, *, notify: bool
) -> int:
    """Put each completed recording's deliveries in the ledger (pending, or skipped when the
    caller does not want old recordings posted), as `targets` says. Joins the caller's
    transaction; a route removed since the routing (no matching here, only its id) gets none,
    as its removal dropped what it had not delivered."""
    planned = 0
    with store.transaction():
        live = store.routes.ids()
        for meeting in meetings:
            chosen = targets.get(meeting.meeting_record_id, [])
            planned += store.deliveries.plan(
                meeting.meeting_record_id,
                [(channel, rid) for channel, rid in chosen if rid is None or rid in live],
                state="pending" if notify else "skipped",
            )
    return planned


def save_and_plan(
    store: Store,
    meetings: list[RecordMeeting],
    default_channel: str,
    *,
    notify: bool,
    notify_since: int | None = None,
    routed: Routed | None = None,
) -> SyncOutcome:
    """Save fetched recordings and plan deliveries for the newly completed, in one transaction
    (routed first, outside it, unless the caller passes `routed` from `route_fetched`).

    Without `notify`, completed recordings are recorded as not to be posted, except those the
    poller would post anyway: ones the store already watched (seen unfinished), and ones that
    started at or after `notify_since` (the poller's horizon)."""
    outcome = SyncOutcome(fetched=len(meetings))
    if routed is None:
        routed = route_fetched(store, meetings, default_channel)
    with store.transaction():
        result = store.recordings.save_meetings(routed.meetings)
        by_id = {m.meeting_record_id: m for m in meetings}
        completed = [by_id[mid] for mid in result.completed if mid in by_id]
        watched = set(result.completed_watched)

        def posts(m: RecordMeeting) -> bool:
            recent = notify_since is not None and m.start_seconds >= notify_since
            return notify or recent or m.meeting_record_id in watched

        due = [m for m in completed if posts(m)]
        old = [m for m in completed if not posts(m)]
        for chosen, post in ((due, True), (old, False)):
            outcome.deliveries_planned += plan_deliveries(
                store, chosen, routed.targets, notify=post
            )
        # Held ones wait for the routes to change (bot/held.py); old ones would not be posted.
        hold(
            store,
            [m.meeting_record_id for m in due if m.meeting_record_id in routed.held],
            routed.routes_key,
        )
        # What was said in every recording completing now, posted anywhere or not, is looked
        # for (bot/content_fetch.py), so search covers all the company's meetings.
        for meeting in due:
            for file in meeting.record_files:
                for kind in KINDS:
                    store.content.watch(file.record_file_id, kind)
        if result.files_changed or result.shown_changed:
            # Renamed, re-shared, another password: their posted messages are edited.
            store.deliveries.flag_for_update([*result.files_changed, *result.shown_changed])
    outcome.new = list(result.new)
    outcome.completed = list(result.completed)
    outcome.files_changed = list(result.files_changed)
    return outcome


RESUME_FRESH_SECONDS = 3600.0  # a cut listing resumes where it stopped for this long


@dataclass
class PageTrail:
    """How far a page-limited listing of one window got, so that asking again goes on from
    there instead of re-reading its first pages forever (one question may fetch only a few).

    Resuming is trusted only while Tencent's `total_count` for the window stays what it was
    when the listing stopped; otherwise the pages may have shifted, and the window is read
    again from page 1 before it is marked synced."""

    next_page: int = 1
    total_count: int | None = None
    consistent: bool = True
    _read_any: bool = False

    @staticmethod
    def key(start: int, end: int) -> str:
        return f"sync.resume.{start}.{end}"

    @classmethod
    def resumed(cls, store: Store, start: int, end: int) -> PageTrail | None:
        saved = store.state.get(cls.key(start, end))
        if not isinstance(saved, dict):
            return None
        try:
            fresh = store.now() - float(saved["at"]) < RESUME_FRESH_SECONDS
            trail = cls(next_page=int(saved["next_page"]), total_count=int(saved["total_count"]))
        except (KeyError, TypeError, ValueError):
            return None
        return trail if fresh and trail.next_page > 1 else None

    def read(self, page: int, total_count: int) -> None:
        """A page came in: remember it, and whether a resumed window still holds as many
        records as when it stopped."""
        if self.next_page > 1 and not self._read_any and total_count != self.total_count:
            self.consistent = False
        self.total_count = total_count
        self.next_page = page + 1
        self._read_any = True

    def keep(self, store: Store, start: int, end: int, *, cut_short: bool) -> None:
        """Save where a cut listing stopped (joins the caller's transaction), or forget it."""
        if not self._read_any:
            return  # no page read: whatever was saved still stands
        if cut_short and self.consistent:
            saved = {"next_page": self.next_page, "total_count": self.total_count}
            store.state.set(self.key(start, end), {**saved, "at": store.now()})
        else:
            store.state.delete(self.key(start, end))


def sync_range(
    store: Store,
    client: TencentMeetingClient,
    start: int,
    end: int,
    *,
    default_channel: str = "",
    priority: str = "background",
    max_wait: float | None = None,
    notify: bool = True,
    notify_since: int | None = None,
    on_page: PageCallback | None = None,
    page_limit: PageLimit | None = None,
    newest_first: bool = False,
) -> SyncOutcome:
    """Sync [start, end] window by window (at most 31 days each); each window is saved and
    marked synced as soon as all its pages are in, so an interrupted long sync keeps its
    progress. With `page_limit`, what was fetched before the limit is saved, but the window
    it cut short is not marked synced (`truncated`)."""
    total = SyncOutcome()
    windows = split_windows(start, end)
    for index, (w_start, w_end) in enumerate(reversed(windows) if newest_first else windows):
        calls = CallCount()  # this window's calls, not those of requests running beside it
        malformed: list[str] = []
        resume = PageTrail.resumed(store, w_start, w_end) if page_limit is not None else None
        trail = resume or PageTrail()

        def page_hook(
            _window: int,
            page: int,
            records: RecordsPage,
            _i: int = index,
            _bad: list[str] = malformed,
            _trail: PageTrail = trail,
        ) -> None:
            _bad.extend(str(problem) for problem in records.rejected)
            _trail.read(page, records.total_count)
            if on_page is not None:
                on_page(_i, page, records)

        meetings = list(
            client.list_corp_records(
                w_start,
                w_end,
                priority=priority,
                max_wait=max_wait,
                on_page=page_hook,
                page_limit=page_limit,
                count=calls,
                first_page=trail.next_page,
            )
        )
        cut_short = page_limit is not None and page_limit.reached
        complete = not cut_short and trail.consistent
        routed = route_fetched(store, meetings, default_channel)  # before the transaction
        with store.transaction():
            outcome = save_and_plan(
                store,
                meetings,
                default_channel,
                notify=notify,
                notify_since=notify_since,
                routed=routed,
            )
            if complete:
                store.recordings.mark_synced(w_start, w_end)
            if complete and resume is None and not malformed:
                # Read whole from page 1, nothing left out: what it lacks was deleted. A listing
                # cut short, resumed or with a broken record never deletes anything.
                listed = [m.meeting_record_id for m in meetings]
                gone = store.recordings.gone_from_listing(w_start, w_end, listed)
                outcome.deleted = store.recordings.mark_deleted(gone)
            if page_limit is not None:
                trail.keep(store, w_start, w_end, cut_short=cut_short)
        outcome.calls = calls.calls
        outcome.malformed = malformed
        outcome.truncated = not complete
        total += outcome
        if not complete:
            break
    if total.deleted:
        log.info("deleted in Tencent Meeting (gone from the listing): %s", ", ".join(total.deleted))
    log.info(
        "synced %s..%s: %d recordings, %d new, %d completed, %d API calls",
        start,
        end,
        total.fetched,
        len(total.new),
        len(total.completed),
        total.calls,
    )
    return total
