"""Store figures: ingest throughput, subject search latency, peak RSS.

    python bench/bench_store.py [--count 100000] [--batch 1000] [--database URL] [--json]

Ingests `count` generated recordings (1-3 files each) into a fresh SQLite file (or the empty
database `--database` names, e.g. a PostgreSQL URL) through
`RecordingRepo.save_meetings`, then times subject searches (Chinese and English words).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bot.models import RecordFile, RecordMeeting
from bot.store import open_store

_SUBJECTS = [
    "产品周会 第{n}期",
    "技术分享：{topic}",
    "客户沟通 {client}",
    "项目复盘 {topic}",
    "设计评审 {topic} v{n}",
    "Weekly sync {team}",
    "All hands Q{q} {year}",
    "Design review: {topic}",
    "1:1 {name}",
    "Sprint planning {team} #{n}",
    "{team} 站会",
    "面试 {name}",
]
_TOPICS = ["支付", "搜索", "推荐", "onboarding", "billing", "mobile", "数据平台", "SSO"]
_TEAMS = ["infra", "growth", "platform", "前端", "后端", "data"]
_NAMES = ["alice", "bob", "王伟", "李娜", "carol", "张敏"]
_CLIENTS = ["ACME", "腾讯", "Globex", "华为", "Initech"]
# Searched words: common and rare, short (LIKE) and 3+ characters (trigram FTS).
_WORDS = [
    "周会",
    "产品周会",
    "技术分享 支付",
    "面试",
    "zz",
    "weekly",
    "Design review",
    "SSO",
    "zzz",
]


def generate(count: int, *, seed: int = 7, start: int = 1_700_000_000) -> Iterator[RecordMeeting]:
    rng = random.Random(seed)
    for i in range(count):
        subject = rng.choice(_SUBJECTS).format(
            n=rng.randint(1, 200),
            topic=rng.choice(_TOPICS),
            client=rng.choice(_CLIENTS),
            team=rng.choice(_TEAMS),
            name=rng.choice(_NAMES),
            q=rng.randint(1, 4),
            year=rng.randint(2022, 2025),
        )
        begin = (start + i * 300) * 1000
        files = []
        for j in range(rng.randint(1, 3)):
            file_start = begin + j * 1_800_000
            files.append(
                RecordFile(
                    record_file_id=f"f{i}-{j}",
                    record_start_time=file_start,
                    record_end_time=file_start + rng.randint(60, 1800) * 1000,
                    record_size=rng.randint(1, 500) * 1_000_000,
                    sharing_state=1,
                    sharing_url=f"https://meeting.tencent.com/v2/cloud-record/share?id=r{i}{j}",
                    required_same_corp=False,
                    password="1234" if rng.random() < 0.3 else None,
                    sharing_expire=0,
                    allow_download=rng.random() < 0.5,
                )
            )
        yield RecordMeeting(
            meeting_record_id=f"r{i:07d}",
            meeting_id=str(10_000_000 + i),
            meeting_code=str(100_000_000 + rng.randint(0, 899_999_999)),
            userid=rng.choice(_NAMES),
            media_start_time=begin,
            subject=subject,
            state=3 if rng.random() < 0.95 else 2,
            record_files=tuple(files),
        )


def _batches(items: Iterator[RecordMeeting], size: int) -> Iterator[list[RecordMeeting]]:
    batch: list[RecordMeeting] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per search word")
    parser.add_argument("--database", help="an empty database to use (default: a temp file)")
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    args = parser.parse_args()
    figures: dict[str, float] = {}

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.database or Path(tmp) / "bench.db")
        repo = store.recordings

        elapsed = 0.0  # time inside save_meetings only, not generating the records
        files = 0
        for batch in _batches(generate(args.count), args.batch):
            files += sum(len(m.record_files) for m in batch)
            started = time.perf_counter()
            repo.save_meetings(batch)
            elapsed += time.perf_counter() - started
        figures["ingest_per_s"] = args.count / elapsed
        print(
            f"ingest: {args.count:,} recordings ({files:,} files) in {elapsed:.2f} s "
            f"= {args.count / elapsed:,.0f} records/s (one transaction per {args.batch})"
        )

        started = time.perf_counter()
        again = list(generate(min(args.count, 10_000)))
        result = repo.save_meetings(again)
        elapsed = time.perf_counter() - started
        print(
            f"re-save (unchanged, 1 transaction): {len(again)} recordings in {elapsed:.2f} s "
            f"= {len(again) / elapsed:,.0f} records/s; changed={len(result.changed)}"
        )

        print(f"subject search over {repo.count():,} recordings ({args.runs} runs each, limit 50):")
        worst_p95 = 0.0
        for text in _WORDS:
            timings = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                found = repo.search(text)
                timings.append((time.perf_counter() - t0) * 1000)
            total = repo.count_search(text)
            p50 = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            worst_p95 = max(worst_p95, p95)
            if text == "周会":
                figures["search_zhouhui_p50_ms"] = p50
            print(
                f"  {text!r:18} matches {total:6,}  "
                f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  (page {len(found)})"
            )

        timings = []
        start = 1_700_000_000 + args.count * 150
        for _ in range(args.runs):
            t0 = time.perf_counter()
            repo.in_range(start, start + 7 * 86400)
            timings.append((time.perf_counter() - t0) * 1000)
        print(f"in_range (one week, limit 50): p50 {statistics.median(timings):.2f} ms")
        figures["search_worst_p95_ms"] = worst_p95
        figures["in_range_p50_ms"] = statistics.median(timings)
        store.close()
    print(f"peak RSS: {_peak_rss_mb():.0f} MB")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
