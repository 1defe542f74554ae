"""`recordings-bot db copy` timed: a SQLite install of 100,000 recordings into PostgreSQL.

    python bench/bench_copy.py [--count 100000]

Fills a fresh SQLite file with `count` generated recordings (1-3 files each, as
bench_store.py), starts a throwaway PostgreSQL server, and runs the command itself
(`recordings-bot db copy --to URL`) twice: the first copy, then a second one over it (safe: rows
are upserted, nothing is doubled). Prints the time of each, rows a second and the peak RSS of
the copying process.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_store import generate  # noqa: E402

from bot.store import open_store  # noqa: E402
from tests.postgres_server import throwaway_postgres  # noqa: E402


def fill(path: str, count: int) -> tuple[int, int]:
    """The SQLite install: (recordings, files)."""
    store = open_store(path)
    batch: list = []
    files = 0
    for meeting in generate(count):
        batch.append(meeting)
        files += len(meeting.record_files)
        if len(batch) == 1000:
            store.recordings.save_meetings(batch)
            batch.clear()
    if batch:
        store.recordings.save_meetings(batch)
    store.close()
    return count, files


def copy(sqlite_path: str, url: str) -> tuple[float, float, str]:
    """Run `recordings-bot db copy --to url`: (seconds, peak RSS in MB, its output)."""
    env = {**os.environ, "RECORDINGS_DB": sqlite_path, "DATABASE_URL": ""}
    command = [sys.executable, "-m", "bot", "db", "copy", "--to", url]
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"db copy failed:\n{done.stdout}\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, throwaway_postgres() as server:
        path = str(Path(tmp) / "recordings.db")
        began = time.perf_counter()
        meetings, files = fill(path, args.count)
        print(
            f"SQLite install: {meetings:,} recordings, {files:,} files "
            f"(filled in {time.perf_counter() - began:.1f} s)"
        )
        url = server.create_database()
        rows = meetings + files
        for run in ("first copy", "second copy (over the first)"):
            seconds, peak, output = copy(path, url)
            copied = sum(int(n) for n in re.findall(r": (\d+) row", output))
            print(
                f"{run:<30} {seconds:6.1f} s  {rows / seconds:9,.0f} recordings+files/s  "
                f"{copied:,} rows upserted  peak RSS {peak:.0f} MB"
            )
        with_copy = open_store(url)
        try:
            count = with_copy.recordings.count()
            found = len(with_copy.recordings.search("周会"))
        finally:
            with_copy.close()
        print(f"PostgreSQL holds {count:,} recordings; `search 周会` answers {found} (a page)")


if __name__ == "__main__":
    main()
