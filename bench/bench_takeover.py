"""Bench: how soon a poller killed with SIGKILL is replaced, on SQLite.

    python bench/bench_takeover.py [--kills 20] [--seed 12]

Real `recordings-bot poll --once` processes against the Tencent emulator and the Slack stand-in
(both in this process), with the default lease length (3 intervals: 360 s). Each run is killed
at a random point (0..1.5 s) after it took the lease, while the emulator holds its corp/records
call (a "slow" fault of 0.2..2 s) or while it posts; the next run starts at once. Figures:

- start -> cycle: from a run's start to its lease (its cycle begins), for a takeover (the
  previous run was killed holding it: the new run finds its lock free and takes the lease over)
  and, for comparison, for a fresh start (the previous run ended and released the lease); runs
  to kill and runs left to end are drawn at random, so both kinds share the machine's load;
- kill -> cycle: from the SIGKILL to the next run's cycle beginning (includes starting it);
- the wait without liveness: what the dead holder's lease still had to run at the kill;
- the takeover itself: one `leases.acquire` in this process finding a killed holder's lock free
  (the holder a child process that took the lease, then was SIGKILLed).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import percentile

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.store import DEAD_CLAIM_GRACE

ROOT = Path(__file__).resolve().parents[1]
CHANNEL = "CBENCH001"


def lease_row(db: str) -> tuple[str, float, float] | None:
    """(holder, acquired_at, expires_at) of the poller's lease, or None."""
    if not Path(db).exists():
        return None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(
            "SELECT holder, acquired_at, expires_at FROM leases WHERE name = 'poller'"
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()


def wait_for_lease(db: str, proc: subprocess.Popen) -> float | None:
    """When `proc` took the lease (on its clock), or None if it ended first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = lease_row(db)
        if row and f":{proc.pid}:" in row[0]:
            return row[1]
        if proc.poll() is not None:
            return None
        time.sleep(0.002)
    raise SystemExit(f"run {proc.pid} never took the lease")


HOLDER = """
import sys
from bot.store import open_store
open_store(sys.argv[1]).leases.acquire("poller", sys.argv[2], 360.0)
print("held", flush=True)
sys.stdin.read()
"""


def decision_times(db: str, env: dict[str, str], count: int) -> list[float]:
    """Seconds one `leases.acquire` takes to find a SIGKILLed holder dead and take over."""
    from bot.store import open_store

    store = open_store(db)
    times = []
    for i in range(count):
        child = subprocess.Popen(
            [sys.executable, "-c", HOLDER, db, f"bench:{i}:dead"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        started = time.perf_counter()
        assert store.leases.acquire("poller", f"bench:{i}:next", 360.0)
        times.append(time.perf_counter() - started)
        store.leases.release("poller", f"bench:{i}:next")
        child.communicate()
    store.close()
    return times


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<34} (none)"
    return (
        f"  {name:<34} p50 {percentile(values, 50):6.2f}  p95 {percentile(values, 95):6.2f}  "
        f"max {max(values):6.2f}  (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--fresh", type=int, default=10, help="runs that start with no holder")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    now = time.time()
    dataset = Dataset()
    for i in range(40):
        dataset.add_meeting(start=now - 3600 + i * 30, duration=600, transcode_seconds=30 + i * 10)
    db = str(Path(tempfile.mkdtemp(prefix="bench-takeover-")) / "bot.db")
    with (
        TencentEmulator(dataset=dataset, rate_limit=1000) as tencent,
        SlackStandIn(bot_token="xoxb-bench") as slack,
    ):
        slack.add_channel(CHANNEL, "recordings")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TENCENT_"))}
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
                "TENCENT_MEETING_API_URL": tencent.url,
                "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
                "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
                "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
                "TENCENT_MEETING_RATE_LIMIT": "1000",
                "RECORDINGS_DB": db,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": slack.api_url,
                "DEFAULT_CHANNEL": CHANNEL,
            }
        )
        fresh: list[float] = []
        takeover: list[float] = []
        kill_to_cycle: list[float] = []
        lease_left: list[float] = []
        refused = kills = runs = 0
        killed_at: float | None = None
        while len(takeover) < args.kills or len(fresh) < args.fresh:
            runs += 1
            tencent.advance(20)
            kill = len(takeover) < args.kills and (len(fresh) >= args.fresh or rng.random() < 0.6)
            if kill:  # killed while it waits on the API, or while it posts what it found
                tencent.faults.add("slow", delay=rng.uniform(0.2, 2.0))
            dead = lease_row(db)
            started = time.time()
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "poll", "--once"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            acquired = wait_for_lease(db, proc)
            if acquired is not None and dead is not None:
                takeover.append(acquired - started)
                if killed_at is not None:
                    kill_to_cycle.append(acquired - killed_at)
            elif acquired is not None and runs > 1:
                fresh.append(acquired - started)
            killed_at = None
            if kill and acquired is not None:
                time.sleep(rng.uniform(0.0, 1.5))
            if kill and proc.poll() is None:
                before = lease_row(db)
                killed_at = time.time()
                proc.send_signal(signal.SIGKILL)
                if before is not None:  # not yet released at the end of its cycle
                    kills += 1
                    lease_left.append(before[2] - killed_at)
            out, _ = proc.communicate(timeout=120)
            refused += "holds the poller lease" in out
        # One last run, left to end, once a dead claim may be taken over: it finishes what
        # the last killed run had claimed.
        time.sleep(DEAD_CLAIM_GRACE + 1)
        subprocess.run(
            [sys.executable, "-m", "bot", "poll", "--once"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        completed = sum(1 for m in dataset.meetings() if m.state(tencent.now()) == 3)
        decisions = decision_times(db, env, args.kills)
        posted = [
            (m["metadata"] or {}).get("event_payload", {}).get("meeting_record_id")
            for m in slack.messages(CHANNEL)
            if m.get("metadata") and m.get("thread_ts") in (None, m["ts"])  # posts, not replies
        ]

    print(
        f"SQLite, poll --once: {runs} runs, {kills} killed with SIGKILL while holding the lease, "
        f"{runs - kills} left to end (or killed once done); "
        "default lease 360 s (3 x the 120 s interval)"
    )
    print("seconds:")
    print(line("start -> cycle, fresh start", fresh))
    print(line("start -> cycle, after a kill", takeover))
    print(line("kill -> next cycle", kill_to_cycle))
    print(line("wait without liveness (lease left)", lease_left))
    print(line("the takeover itself (ms)", [d * 1000 for d in decisions]))
    print(
        f"runs refused for a held lease: {refused}; messages posted: {len(posted)} for "
        f"{completed} completed recordings (after one last run), "
        f"duplicates: {len(posted) - len(set(posted))}"
    )


if __name__ == "__main__":
    main()
