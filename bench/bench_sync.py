"""Bench: how close a full sync runs to the corp/records budget, without ever exceeding it.

A generated history of recordings (default 2,000 over 70 days) is served by the emulator with
its per-minute limit raised to LIMIT; the client's throttle gets the same LIMIT. It prints:

- one full sync: API calls made vs the minimum (ceil(records_in_window / 20) per window);
- achieved throughput as a fraction of the limit. One sync of 2,000 recordings needs only about
  100 calls, fewer than one minute's budget, so it finishes in a single burst whose speed is the
  emulator's, not the throttle's: a calls-per-minute figure over it would mean nothing. The bench
  therefore repeats the sync back to back for MINUTES whole minutes and counts the calls granted
  in [first call, first call + MINUTES * 60 s). A sliding-window limit allows at most
  LIMIT * MINUTES calls there, so calls / (LIMIT * MINUTES) is a fraction <= 1 (target >= 0.95);
- the most calls in any 60 s window (from the ledger; must be <= LIMIT);
- throttling errors the server answered (target 0).

Run: /tmp/venv/bin/python bench/bench_sync.py [--records 2000] [--limit 600] [--minutes 2]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.store import open_store
from bot.tencent.client import PAGE_SIZE, TencentMeetingClient, split_windows
from bot.tencent.signing import Credentials
from bot.tencent.throttle import Throttle

DAY = 86400
THROTTLING_CODES = {190310, 190313}


class TimeUp(Exception):
    """The measured interval is over: stop the sync in progress."""


def minimum_calls(dataset: Dataset, now: float, start: int, end: int) -> int:
    """The fewest calls that can list [start, end]: ceil(records / 20) per window, at least 1."""
    total = 0
    for lo, hi in split_windows(start, end):
        count, _ = dataset.page(now, lo * 1000, hi * 1000, 1, PAGE_SIZE)
        total += max(1, math.ceil(count / PAGE_SIZE))
    return total


def max_in_window(times: list[float], window: float) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=600, help="calls per minute")
    parser.add_argument("--minutes", type=int, default=2, help="whole minutes to saturate")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    now = time.time()
    dataset = Dataset.generate_history(args.records, end=now, seed=args.seed)
    end = int(now)
    start = end - 71 * DAY
    emulator = TencentEmulator(rate_limit=args.limit, dataset=dataset).start()
    tmp = tempfile.TemporaryDirectory()
    store = open_store(Path(tmp.name) / "bench.db")
    throttle = Throttle(store.budget, limit=args.limit, window=60.0)
    creds = Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY)
    client = TencentMeetingClient(emulator.url, creds, throttle)
    try:
        # 1. One full sync.
        t_sync = time.monotonic()
        found = sum(1 for _ in client.list_corp_records(start, end))
        sync_seconds = time.monotonic() - t_sync
        first_calls = client.calls_made
        needed = minimum_calls(dataset, emulator.now(), start, end)
        t0 = store.budget.call_times("corp_records", 0)[0]

        # 2. Back-to-back syncs until MINUTES whole minutes since the first call have passed.
        deadline = t0 + args.minutes * 60.0

        def stop_when_done(window: int, page: int, _page: object) -> None:
            if time.time() >= deadline:
                raise TimeUp

        syncs = 1
        try:
            while time.time() < deadline:
                for _ in client.list_corp_records(start, end, on_page=stop_when_done):
                    pass
                syncs += 1
        except TimeUp:
            pass
        elapsed = time.time() - t0
    finally:
        emulator.stop()

    times = store.budget.call_times("corp_records", 0)
    store.close()
    tmp.cleanup()
    in_interval = sum(1 for t in times if t < deadline)
    allowed = args.limit * args.minutes
    per_minute = [
        sum(1 for t in times if t0 + i * 60 <= t < t0 + (i + 1) * 60) for i in range(args.minutes)
    ]
    answers = emulator.calls
    throttled = sum(1 for c in answers if c.error_code in THROTTLING_CODES)
    failed = sum(1 for c in answers if c.status != 200)

    print(
        f"history: {args.records} recordings over 70 days; synced range: 71 days "
        f"({len(split_windows(start, end))} windows of <= 31 days)"
    )
    print(
        f"limit: {args.limit} calls/min (emulator and client; client ledger window 60.5 s, "
        f"1 slot reserved for interactive callers)"
    )
    print()
    print("one full sync:")
    print(f"  recordings found:        {found}")
    print(f"  API calls made:          {first_calls}")
    print(f"  minimum possible:        {needed}  (sum of ceil(records_in_window / 20))")
    print(
        f"  time:                    {sync_seconds:.2f} s  "
        f"({first_calls / sync_seconds:.0f} calls/s: one burst, well under a minute's budget)"
    )
    print()
    print(
        f"saturated for {args.minutes} whole minutes ({syncs} syncs back to back, {elapsed:.1f} s):"
    )
    print(
        f"  calls granted in [t0, t0 + {args.minutes * 60} s): {in_interval} of at most {allowed}"
    )
    print(f"  calls per minute:        {per_minute}")
    print(f"  achieved fraction:       {in_interval / allowed:.3f}  (target >= 0.95)")
    print(f"  most calls in any 60 s:  {max_in_window(times, 60.0)}  (must be <= {args.limit})")
    print(f"  throttling errors:       {throttled}  (target 0)")
    print(f"  other failed answers:    {failed - throttled}")
    print(f"  calls the server saw:    {len(answers)}; calls the client made: {client.calls_made}")


if __name__ == "__main__":
    main()
