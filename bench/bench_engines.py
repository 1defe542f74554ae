"""SQLite and PostgreSQL side by side: the store, poll and slash benchmarks on both engines, in
one run, with the ratio (PostgreSQL / SQLite) of each figure.

    python bench/bench_engines.py [--recordings 20000] [--requests 300]

Starts a throwaway PostgreSQL server (initdb and pg_ctl from the `postgresql` package, in a
temporary folder on a free port; stopped at the end), then runs bench_store.py, bench_poll.py
and bench_slash.py, each in its own process, once on a fresh SQLite file and once on a fresh
PostgreSQL database, and prints one table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.postgres_server import throwaway_postgres  # noqa: E402

# (bench, figure key, what it is, lower is better)
FIGURES = [
    ("bench_store.py", "ingest_per_s", "store: ingest, recordings/s", False),
    ("bench_store.py", "search_zhouhui_p50_ms", "store: search 周会 p50 (ms)", True),
    ("bench_store.py", "search_worst_p95_ms", "store: search, worst word p95 (ms)", True),
    ("bench_store.py", "in_range_p50_ms", "store: one week's list p50 (ms)", True),
    ("bench_poll.py", "idle_cycle_calls", "poll: API calls per idle cycle", True),
    ("bench_poll.py", "idle_cycle_ms", "poll: idle cycle p50 (ms)", True),
    ("bench_poll.py", "peak_rss_mb", "poll: peak RSS of the cycle (MB)", True),
    ("bench_slash.py", "ack_p50_ms", "slash: ack p50 (ms)", True),
    ("bench_slash.py", "ack_p99_ms", "slash: ack p99 (ms)", True),
    ("bench_slash.py", "answer_p50_ms", "slash: answer p50 (ms)", True),
    ("bench_slash.py", "answer_p99_ms", "slash: answer p99 (ms)", True),
    ("bench_slash.py", "api_calls", "slash: Tencent API calls", True),
]


def run_bench(script: str, args: list[str], database: str | None) -> dict[str, float]:
    command = [sys.executable, str(ROOT / "bench" / script), *args, "--json"]
    if database:
        command += ["--database", database]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per search word")
    args = parser.parse_args()
    benches = {
        "bench_store.py": ["--count", str(args.recordings), "--runs", str(args.runs)],
        "bench_poll.py": ["--count", str(args.recordings), "--cycles", "5"],
        "bench_slash.py": ["--recordings", str(args.recordings), "--requests", str(args.requests)],
    }
    results: dict[str, dict[str, dict[str, float]]] = {"sqlite": {}, "postgresql": {}}
    began = time.monotonic()
    with throwaway_postgres() as server:
        for script, bench_args in benches.items():
            results["sqlite"][script] = run_bench(script, bench_args, None)
            database = server.create_database()
            results["postgresql"][script] = run_bench(script, bench_args, database)
    elapsed = time.monotonic() - began

    print(
        f"{args.recordings:,} recordings in each store; {args.requests} signed /recordings; "
        f"PostgreSQL 15 on loopback, SQLite in WAL mode; {elapsed:.0f} s in all"
    )
    print(f"{'figure':<38} {'SQLite':>10} {'PostgreSQL':>11} {'ratio':>7}")
    for script, key, label, _lower_better in FIGURES:
        lite = results["sqlite"][script].get(key)
        pg = results["postgresql"][script].get(key)
        if lite is None or pg is None:
            continue
        ratio = f"{pg / lite:6.2f}x" if lite else "   n/a"
        print(f"{label:<38} {lite:>10,.2f} {pg:>11,.2f} {ratio:>7}")
    print("ratio: PostgreSQL / SQLite (for ingest, higher is faster; for the rest, lower)")


if __name__ == "__main__":
    main()
