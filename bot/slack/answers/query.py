"""Answering a `/recordings` query: from the store when the period is synced, else after
fetching the missing part from Tencent Meeting as an interactive caller.

The period "today" reaches into the future and is never fully synced: only the part up to
now can hold recordings, and the poller keeps the recent part fresh. That tail is fetched
only when the last sync of it is older than POLL_INTERVAL_SECONDS + 60 s. What is fetched
inside the poller's horizon (its lookback, or back to its watermark after downtime) posts the
recordings that completed there, as the poller would; older history does not.

A fetch first asks for free API slots only (`max_wait=0`). If none is free, `on_wait` is told
how long the wait will be (so the person sees a waiting message at once) and the fetch is
retried, this time waiting up to `wait_limit` seconds for each slot.

One question fetches at most `query_page_limit` pages (half of people's share of a minute of
the budget, 3 calls of 10 by default); what it could not fetch is named in the answer with a
shorter period to ask for. `needs_fetch` tells up front whether a query will call Tencent at all,
so the answers that will not are never queued behind those that do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import overload

from bot.config import Settings
from bot.i18n import _
from bot.models import INTERACTIVE, RecordMeeting
from bot.slack.answers.deps import Deps
from bot.slack.parse import Query
from bot.store import Store
from bot.sync import SyncOutcome, poller_horizon, sync_range
from bot.tencent.client import PageLimit
from bot.tencent.errors import (
    BudgetExhaustedError,
    DailyLimitError,
    MalformedResponseError,
    TencentApiError,
    TencentError,
    TransportError,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 10
WAIT_LIMIT = 120.0  # seconds a person may wait for one API slot after the waiting message
# Pages one query may fetch at most, whatever the budget: a person asking for a year of a busy
# account must not hold the budget (and so every channel's posts) for an hour.
MAX_QUERY_PAGES = 10
FRESH_MARGIN = 60.0  # the poller is "on time" within POLL_INTERVAL_SECONDS + this


@dataclass(frozen=True)
class FetchPart:
    start: int
    end: int
    notify: bool  # plan channel posts for what completes (the poller would have)


@dataclass
class QueryResult:
    meetings: list[RecordMeeting]  # this page, newest first
    total: int  # every match in the period
    page: int
    page_size: int
    calls: int = 0  # Tencent API calls made to answer
    waited: bool = False  # the budget was spent and we waited for it
    incomplete: bool = False  # part of the period could not be fetched (API busy)
    truncated: bool = False  # the period needed more pages than one question may fetch
    missing_before: int | None = None  # when truncated: what started before this is not fetched
    retry_after: float = 0.0  # when incomplete: seconds until the API is free again

    @property
    def has_more(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    def window(self) -> ResultWindow:
        """The whole result as a sequence holding only this page (for blocks.recordings_list)."""
        return ResultWindow(self.meetings, self.page * self.page_size, self.total)


class ResultWindow(Sequence[RecordMeeting]):
    """A sequence of `total` recordings of which only [offset, offset + len(loaded)) are
    loaded: lets a renderer that pages a whole list page a result read one page at a time."""

    def __init__(self, loaded: list[RecordMeeting], offset: int, total: int):
        self.loaded = loaded
        self.offset = offset
        self.total = max(total, offset + len(loaded))

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> RecordMeeting: ...

    @overload
    def __getitem__(self, index: slice) -> list[RecordMeeting]: ...

    def __getitem__(self, index: int | slice) -> RecordMeeting | list[RecordMeeting]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            return [self[i] for i in range(start, stop, step) if self._has(i)]
        i = index + self.total if index < 0 else index
        if not self._has(i):
            raise IndexError("outside the loaded page")
        return self.loaded[i - self.offset]

    def _has(self, i: int) -> bool:
        return self.offset <= i < self.offset + len(self.loaded)


def fetch_plan(
    store: Store,
    start: int,
    end: int,
    *,
    now: float,
    fresh_for: float,
    lookback_seconds: float,
) -> list[FetchPart]:
    """The parts of [start, end) to fetch before answering from the store (empty: none)."""
    start = max(start, 0)  # 1970-01-01 in a zone east of UTC starts before the epoch
    end = min(end, int(now))  # nothing can have started in the future
    if end <= start:
        return []
    gaps = store.recordings.missing_ranges(start, end)
    if not gaps:
        return []
    # The poller covers everything from here on (and posts what completes there).
    cutoff = poller_horizon(store, now, lookback_seconds)
    # Whoever synced the recent part last (the poller, a query), it is fresh for a while.
    synced_until = store.recordings.synced_until()
    parts: list[FetchPart] = []
    for a, b in gaps:
        recent_tail = synced_until is not None and a >= synced_until
        if recent_tail and now - synced_until <= fresh_for:
            continue  # the poller synced moments ago: fresh enough
        if b <= cutoff or a >= cutoff:
            parts.append(FetchPart(a, b, notify=a >= cutoff))
        else:
            parts += [FetchPart(a, cutoff, notify=False), FetchPart(cutoff, b, notify=True)]
    return parts


def query_page_limit(settings: Settings) -> int:
    """Pages one question may fetch: half of people's share of a minute of the budget (3 with
    the defaults), so one question never takes more than its fair part of a minute and two
    people asking at once are both served within it."""
    return max(1, min(MAX_QUERY_PAGES, settings.interactive_call_limit // 2))


def plan_query(deps: Deps, query: Query) -> list[FetchPart]:
    """What answering `query` must fetch from Tencent first (empty: the store has it all)."""
    settings = deps.settings
    return fetch_plan(
        deps.store,
        int(query.start.timestamp()),
        int(query.end.timestamp()),
        now=deps.store.now(),
        fresh_for=settings.poll_interval_seconds + FRESH_MARGIN,
        lookback_seconds=settings.poll_lookback_hours * 3600,
    )


def needs_fetch(deps: Deps, query: Query) -> bool:
    """Whether answering `query` will call Tencent Meeting (cheap: reads the synced ranges)."""
    return bool(plan_query(deps, query))


def _sync(deps: Deps, parts: list[FetchPart], max_wait: float, limit: PageLimit) -> int:
    """Fetch the parts, newest first (what people look for), within the query's page limit."""
    synced = SyncOutcome()
    for part in sorted(parts, key=lambda p: p.start, reverse=True):
        outcome = sync_range(
            deps.store,
            deps.tencent,
            part.start,
            part.end,
            default_channel=deps.settings.default_channel,
            priority=INTERACTIVE,
            max_wait=max_wait,
            notify=part.notify,
            page_limit=limit,
            newest_first=True,
        )
        synced += outcome
        if outcome.truncated:
            break
    return synced.calls


def answer_query(
    deps: Deps,
    query: Query,
    *,
    on_wait: Callable[[float], None],
    userid: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    wait_limit: float = WAIT_LIMIT,
    fetch: bool = True,
) -> QueryResult:
    """Page `page` of the recordings `query` asks for, newest first.

    `userid` narrows to one Tencent host (the resolved `mine`; `query.host` is used when not
    given). Without `fetch`, it answers from the store only, whatever it lacks. Raises
    TencentError (other than BudgetExhaustedError) when Tencent refuses: see
    `tencent_error_message`.
    """
    store = deps.store
    start, end = int(query.start.timestamp()), int(query.end.timestamp())
    host = userid if userid is not None else query.host
    result = QueryResult([], 0, max(0, page), page_size)
    parts = plan_query(deps, query) if fetch else []
    limit = PageLimit(query_page_limit(deps.settings))
    if parts:
        try:
            result.calls += _sync(deps, parts, max_wait=0, limit=limit)
        except BudgetExhaustedError as exc:
            result.waited = True
            on_wait(exc.retry_after)
            try:
                result.calls += _sync(
                    deps, plan_query(deps, query), max_wait=wait_limit, limit=limit
                )
            except BudgetExhaustedError as again:
                result.incomplete, result.retry_after = True, again.retry_after
    result.truncated = limit.reached
    if result.truncated:
        result.missing_before = _missing_before(deps, start, end)
    _read(store, query, start, end, host, result)
    return result


def _missing_before(deps: Deps, start: int, end: int) -> int | None:
    """After a cut fetch: the end of the newest part of [start, end) still not fetched (the
    recent tail the poller keeps fresh left aside)."""
    store = deps.store
    tail = store.recordings.synced_until()
    gaps = store.recordings.missing_ranges(max(start, 0), min(end, int(store.now())))
    older = [b for a, b in gaps if tail is None or a < tail]
    return max(older) if older else None


def _read(
    store: Store, query: Query, start: int, end: int, host: str | None, result: QueryResult
) -> None:
    last = end - 1  # the store's bounds are inclusive; the query's end is not
    offset = result.page * result.page_size
    recordings = store.recordings
    if query.search:
        result.total = recordings.count_search(query.search, start=start, end=last, userid=host)
        if offset < result.total:
            result.meetings = recordings.search(
                query.search,
                start=start,
                end=last,
                userid=host,
                limit=result.page_size,
                offset=offset,
            )
    else:
        result.total = recordings.count_in_range(start, last, userid=host)
        if offset < result.total:
            result.meetings = recordings.in_range(
                start, last, userid=host, limit=result.page_size, offset=offset
            )


def tencent_error_message(exc: TencentError) -> str:
    """What to tell a person when Tencent Meeting fails (plain text; escape before mrkdwn)."""
    if isinstance(exc, DailyLimitError):
        return _(
            "Tencent Meeting's daily API limit is used up, so recordings not yet in the bot's "
            "store cannot be fetched until tomorrow."
        )
    if isinstance(exc, TencentApiError):
        return _("Tencent Meeting refused the request: {error}").format(error=exc)
    if isinstance(exc, TransportError):
        return _("Tencent Meeting could not be reached; try again in a minute.")
    if isinstance(exc, MalformedResponseError):
        return _("Tencent Meeting sent an answer the bot could not read; try again later.")
    return _("Tencent Meeting failed: {error}").format(error=exc)
