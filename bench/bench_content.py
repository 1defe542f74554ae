"""Content API calls per recording against the documented minimum, through real poll cycles.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_content.py [--recordings 20] [--generating 2]

Starts the Tencent emulator and the Slack stand-in on loopback, adds `--recordings` completed
recordings (1 or 2 record files each), and runs the real poller (sync, post, fetch content, post
the minutes in the threads) cycle after cycle, its clock moved on by `--interval` seconds after
each cycle so the "still generating" backoff (2, 4, 8 ... min) runs out as in production. The
emulator answers the first `--generating` content calls of each file "still generating" (its
default: 2). The minimum is 3 calls per record file once it is ready: minutes 1 + chapters 1 +
transcript 1 (one details call for the whole transcript); every "still generating" answer costs
one call more.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings  # noqa: E402
from bot.emulator.slack import SlackStandIn  # noqa: E402
from bot.emulator.tencent import TencentEmulator  # noqa: E402
from bot.emulator.tencent.dataset import Dataset  # noqa: E402
from bot.emulator.tencent.intelligence import MINUTES_RE, is_content_path  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store.content import KINDS, STATE_READY  # noqa: E402
from bot.wiring import build_services  # noqa: E402

CHANNEL = "CRECORDS1"
KINDS_PER_FILE = 3  # minutes, chapters, transcript: one call each when ready


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=20)
    parser.add_argument("--generating", type=int, default=2, help="emulator's generating_calls")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between polls")
    parser.add_argument("--max-cycles", type=int, default=120)
    args = parser.parse_args()

    now = time.time()
    dataset = Dataset(seed=11)
    mids = [
        dataset.add_meeting(
            start=now - 3600 - i * 300,
            duration=900 + 60 * i,
            subject=f"{'产品周会' if i % 2 else 'Weekly sync'} {i}",
            files=1 + (i % 3 == 0),
        )
        for i in range(args.recordings)
    ]
    offset = [0.0]
    with (
        tempfile.TemporaryDirectory() as tmp,
        TencentEmulator(dataset=dataset, rate_limit=1000) as tencent,
        SlackStandIn(bot_token="xoxb-bench") as slack,
    ):
        tencent.intelligence.generating_calls = args.generating
        slack.add_channel(CHANNEL, "recordings")
        settings = load_settings(
            {
                "TENCENT_MEETING_API_URL": tencent.url,
                "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
                "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
                "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
                "TENCENT_MEETING_RATE_LIMIT": "100",
                "RECORDINGS_DB": str(Path(tmp) / "bench.db"),
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": slack.api_url,
                "DEFAULT_CHANNEL": CHANNEL,
            }
        )
        store = open_store(settings.recordings_db, clock=lambda: time.time() + offset[0])
        services = build_services(settings, store=store)
        services.deliverer.min_interval = 0.0
        files = [f.record_file_id for mid in mids for f in store_files(dataset, mid)]
        cycles = 0
        started = time.perf_counter()
        try:
            while cycles < args.max_cycles:
                services.poller.run_cycle()
                cycles += 1
                if all_ready(store, files):
                    break
                offset[0] += args.interval
        finally:
            elapsed = time.perf_counter() - started
            services.close()
        calls = [c for c in tencent.calls if is_content_path(c.path)]
        states = Counter(
            (store_state(services.store, fid, kind)) for fid in files for kind in KINDS
        )
        threads = sum(
            1
            for m in slack.messages(CHANNEL)
            if m.get("thread_ts") and m.get("thread_ts") != m.get("ts")
        )

    minimum = KINDS_PER_FILE * len(files)
    generating = sum(1 for c in calls if c.error_code)
    by_path = Counter("minutes" if MINUTES_RE.match(c.path) else c.path for c in calls)
    print(
        f"recordings: {len(mids)} completed, {len(files)} record file(s); emulator answers the "
        f'first {args.generating} content call(s) of each file "still generating"'
    )
    print(
        f"poll cycles: {cycles}, the clock moved on {args.interval:.0f} s after each "
        f"({offset[0] / 60:.0f} simulated min, {elapsed:.1f} s real)"
    )
    print(f"content states at the end: {dict(states)}; minutes posted in threads: {threads}")
    print(f"content API calls:        {len(calls)}  ({dict(by_path)})")
    print(
        f"documented minimum:       {minimum}  (3 a record file: minutes + chapters + transcript)"
    )
    print(f"still-generating answers: {generating}  (each a retry after the backoff)")
    print(
        f"per recording:            {len(calls) / len(mids):.2f} calls "
        f"(minimum {minimum / len(mids):.2f}); per file {len(calls) / len(files):.2f} "
        f"(minimum {KINDS_PER_FILE}); overhead {len(calls) - minimum - generating} beyond "
        "the minimum and the retries"
    )
    return 0


def store_files(dataset: Dataset, mid: str):
    return dataset.get(mid).files


def store_state(store, fid: str, kind: str) -> str:
    status = store.content.status(fid, kind)
    return status.state if status else "none"


def all_ready(store, files: list[str]) -> bool:
    return all(store_state(store, fid, kind) == STATE_READY for fid in files for kind in KINDS)


if __name__ == "__main__":
    sys.exit(main())
