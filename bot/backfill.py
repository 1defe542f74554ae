"""Backfill: sync history inside the API budget, with a progress bar and an estimate of the
time left. Old recordings are not posted to channels unless asked (`notify`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tqdm import tqdm

from bot.models import RecordsPage
from bot.store import Store
from bot.sync import SyncOutcome, poller_horizon, sync_range
from bot.tencent.client import TencentMeetingClient, split_windows


@dataclass
class BackfillReport:
    ranges_fetched: int  # parts of the period that were not synced yet (or all, with force)
    outcome: SyncOutcome


def estimate_minutes(calls: int, rate_limit: int) -> float:
    """Minutes that `calls` calls take at `rate_limit` calls a minute (an upper bound)."""
    return calls / rate_limit


def backfill(
    store: Store,
    client: TencentMeetingClient,
    start: int,
    end: int,
    *,
    rate_limit: int,
    default_channel: str = "",
    notify: bool = False,
    lookback_seconds: float | None = None,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> BackfillReport:
    """Sync [start, end]: window by window, skipping ranges already synced unless `force`.

    Without `notify`, what completed is not posted, except inside the poller's horizon
    (given `lookback_seconds`): a backfill run before the first poll must not swallow the
    recent recordings the poller would have posted."""
    notify_since = (
        poller_horizon(store, store.now(), lookback_seconds) if lookback_seconds else None
    )
    # Never mark the future synced (`--until` today ends at midnight): the poller and queries
    # take the end of the synced ranges as "fresh up to here".
    end = max(start, min(end, int(store.now())))
    windows = split_windows(start, end)
    todo: list[tuple[int, int]] = []
    for w_start, w_end in windows:
        if force:
            todo.append((w_start, w_end))
        else:
            todo += store.recordings.missing_ranges(w_start, w_end)
    # A first estimate from what the store knows (at least one page a window); refined as the
    # real page counts arrive.
    estimated = sum(max(1, math.ceil(store.recordings.count_in_range(a, b) / 20)) for a, b in todo)
    echo(
        f"Backfill: {len(todo)} window(s) to fetch, about {estimated} API call(s); at "
        f"{rate_limit} calls/min that is about {estimate_minutes(estimated, rate_limit):.0f} min."
        + ("" if notify else " Old recordings will not be posted to channels (use --notify).")
    )
    bar = tqdm(total=estimated, unit="call", disable=not progress, dynamic_ncols=True)
    known_pages: dict[int, int] = {}
    total = SyncOutcome()

    def on_page(window: int, page: int, records: RecordsPage, offset: int = 0) -> None:
        key = offset + window
        if key not in known_pages:
            known_pages[key] = records.total_page or 1
            bar.total = max(bar.n + 1, bar.total - 1 + known_pages[key])
        bar.update(1)
        left = max(0, bar.total - bar.n)
        bar.set_postfix_str(f"~{estimate_minutes(left, rate_limit):.1f} min left")

    for index, (w_start, w_end) in enumerate(todo):
        total += sync_range(
            store,
            client,
            w_start,
            w_end,
            default_channel=default_channel,
            notify=notify,
            notify_since=notify_since,
            on_page=lambda w, p, r, _o=index * 1000: on_page(w, p, r, _o),
        )
    bar.close()
    return BackfillReport(len(todo), total)
