"""Poller figures: API calls per idle cycle, and the peak memory of a poll cycle over a store
of 100,000 recordings.

    python bench/bench_poll.py [--count 100000] [--cycles 5] [--database URL] [--json]

Phase 1 (a child process) fills a fresh SQLite file (or the empty database `--database`
names) with `count` generated recordings of the past year. Phase 2 (another child process, so
its peak RSS is the cycle's alone) opens that store and runs poll cycles against the Tencent
emulator and the Slack stand-in (both in this parent process): the first cycle syncs the recent
window; the next ones are idle.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_fill(db: str, count: int) -> None:
    from bench_store import generate

    from bot.store import open_store

    store = open_store(db)
    end = int(time.time()) - 2 * 86400  # history: up to two days ago
    started = time.perf_counter()
    batch: list = []
    for meeting in generate(count, start=end - 365 * 86400):
        batch.append(meeting)
        if len(batch) == 1000:
            store.recordings.save_meetings(batch)
            batch.clear()
    if batch:
        store.recordings.save_meetings(batch)
    store.recordings.mark_synced(end - 365 * 86400, end)
    elapsed = time.perf_counter() - started
    print(json.dumps({"count": store.recordings.count(), "seconds": elapsed}))


def phase_cycle(db: str, cycles: int) -> None:
    from bot.config import load_settings
    from bot.wiring import build_services

    settings = load_settings(dict(os.environ))
    baseline = _rss_mb()
    services = build_services(settings)
    services.deliverer.min_interval = 0.0
    calls = []
    seconds = []
    for _ in range(cycles):
        began = time.perf_counter()
        report = services.poller.run_cycle()
        seconds.append(time.perf_counter() - began)
        assert report.ok, report.error
        calls.append(report.calls)
    print(
        json.dumps(
            {
                "calls": calls,
                "seconds": seconds,
                "peak_rss_mb": _rss_mb(),
                "baseline_rss_mb": baseline,
                "sent": services.store.deliveries.counts().get("sent", 0),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--phase", choices=["fill", "cycle"])
    parser.add_argument("--db")
    parser.add_argument("--database", help="an empty database to use (default: a temp file)")
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    args = parser.parse_args()
    if args.phase == "fill":
        return phase_fill(args.db, args.count)
    if args.phase == "cycle":
        return phase_cycle(args.db, args.cycles)

    from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
    from bot.emulator.slack import SlackStandIn
    from bot.emulator.tencent import TencentEmulator
    from bot.emulator.tencent.dataset import Dataset

    with tempfile.TemporaryDirectory() as tmp:
        db = args.database or str(Path(tmp) / "bench.db")
        fill = subprocess.run(
            [sys.executable, __file__, "--phase", "fill", "--db", db, "--count", str(args.count)],
            check=True,
            capture_output=True,
            text=True,
        )
        filled = json.loads(fill.stdout.strip().splitlines()[-1])
        now = time.time()
        dataset = Dataset.generate(now, days=1, seed=5, per_day=12)  # today's meetings
        with (
            TencentEmulator(dataset=dataset, rate_limit=10) as tencent,
            SlackStandIn(bot_token="xoxb-bench") as slack,
        ):
            slack.add_channel("CBENCH001", "recordings")
            env = {
                **os.environ,
                "TENCENT_MEETING_API_URL": tencent.url,
                "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
                "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
                "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
                "RECORDINGS_DB": db if "://" not in db else str(Path(tmp) / "unused.db"),
                "DATABASE_URL": db if "://" in db else "",
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": slack.api_url,
                "DEFAULT_CHANNEL": "CBENCH001",
            }
            cycle = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--phase",
                    "cycle",
                    "--db",
                    db,
                    "--cycles",
                    str(args.cycles),
                ],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            result = json.loads(cycle.stdout.strip().splitlines()[-1])
    calls = result["calls"]
    print(f"store: {filled['count']:,} recordings")
    print(f"poll cycles over it: {len(calls)} (the store was synced until two days ago; the")
    print("  first cycle catches up from there, the next ones find nothing new)")
    print(f"  API calls per cycle:       {calls}  (first syncs; then idle, target 1)")
    print(f"  API calls per idle cycle:  {max(calls[1:]) if len(calls) > 1 else 'n/a'}")
    print(f"  messages posted:           {result['sent']}")
    print(
        f"  peak RSS of the process:   {result['peak_rss_mb']:.0f} MB "
        f"(after imports: {result['baseline_rss_mb']:.0f} MB; target under 100 MB)"
    )
    idle = sorted(result["seconds"][1:]) or [0.0]
    print(f"  idle cycle duration:       p50 {idle[len(idle) // 2] * 1000:.0f} ms")
    if args.json:
        figures = {
            "idle_cycle_calls": max(calls[1:]) if len(calls) > 1 else calls[0],
            "idle_cycle_ms": idle[len(idle) // 2] * 1000,
            "peak_rss_mb": result["peak_rss_mb"],
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
