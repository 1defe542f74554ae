"""Transcript search figures: latency over ~2,000 hours of meetings, store size per hour.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_transcripts.py [--hours 2000] [--queries 60]

Generates meetings of 15-120 minutes (92 % Chinese at ~200 characters a minute, 8 % English at
~140 words a minute) with Zipf-distributed vocabularies, so searched words range from rare to
very common. Saves them through `ContentRepo.save_transcript` into a temporary SQLite file,
then times `search_transcripts` (first page of 10) and `count_transcript_hits` for Chinese
words of 2, 3 and 4 characters and English words, as everyone (no filter) and as a non-admin.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.meeting_content import Transcript, TranscriptParagraph
from bot.models import RecordFile, RecordMeeting
from bot.store import open_store
from bot.store.content import Viewer

ZH_CHARS_PER_MINUTE = 200
EN_WORDS_PER_MINUTE = 140
EN_SHARE = 0.08
_EN_COMMON = [
    "the",
    "and",
    "to",
    "of",
    "a",
    "in",
    "that",
    "is",
    "we",
    "it",
    "for",
    "this",
    "on",
    "you",
    "be",
    "have",
    "with",
    "are",
    "so",
    "not",
    "as",
    "at",
    "but",
    "they",
    "can",
    "do",
    "our",
    "will",
    "if",
    "what",
    "all",
    "about",
    "just",
    "there",
    "one",
    "would",
    "think",
    "need",
    "from",
    "get",
    "know",
    "budget",
    "review",
    "launch",
    "customer",
    "team",
    "release",
    "design",
    "meeting",
    "quarter",
    "revenue",
    "pricing",
    "roadmap",
    "hiring",
    "onboarding",
    "feedback",
    "metrics",
    "deadline",
    "migration",
    "security",
    "incident",
]
_SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "bu",
    "ka",
    "ke",
    "ki",
    "ko",
    "ku",
    "la",
    "le",
    "li",
    "lo",
    "lu",
    "ma",
    "me",
    "mi",
    "mo",
    "mu",
    "na",
    "ne",
    "ni",
    "no",
    "nu",
    "ra",
    "re",
    "ri",
    "ro",
    "ru",
    "sa",
    "se",
    "si",
    "so",
    "su",
    "ta",
    "te",
    "ti",
    "to",
    "tu",
]  # noqa: E501
_ZH_COMMON = [
    "我们",
    "这个",
    "然后",
    "就是",
    "那个",
    "一下",
    "可以",
    "因为",
    "所以",
    "没有",
    "已经",
    "还是",
    "如果",
    "大家",
    "现在",
]
_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "Alice", "Bob", "Carol"]


def zh_vocabulary(rng: random.Random, size: int) -> list[str]:
    pool = [chr(c) for c in rng.sample(range(0x4E00, 0x6FFF), 1800)]
    words = set(_ZH_COMMON)
    while len(words) < size:
        words.add("".join(rng.choices(pool, k=rng.choice((2, 2, 2, 3, 4)))))
    ordered = list(_ZH_COMMON) + sorted(words - set(_ZH_COMMON))
    rng.shuffle(ordered[len(_ZH_COMMON) :])
    return ordered


def en_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = dict.fromkeys(_EN_COMMON)
    while len(words) < size:
        words["".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))] = None
    return list(words)


def zipf_weights(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(n)))


class Generator:
    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        self.zh = zh_vocabulary(self.rng, 20000)
        self.en = en_vocabulary(self.rng, 12000)
        self.zh_cum = zipf_weights(len(self.zh))
        self.en_cum = zipf_weights(len(self.en))

    def paragraphs(self, minutes: int, english: bool) -> list[TranscriptParagraph]:
        rng = self.rng
        speakers = rng.sample(_NAMES, rng.randint(2, 6))
        out: list[TranscriptParagraph] = []
        t = 0
        end = minutes * 60_000
        while t < end:
            seconds = rng.randint(10, 60)
            if english:
                n = EN_WORDS_PER_MINUTE * seconds // 60
                words = rng.choices(self.en, cum_weights=self.en_cum, k=n)
                text = " ".join(words).capitalize() + "."
            else:
                n = ZH_CHARS_PER_MINUTE * seconds * 5 // 60 // 12  # words average ~2.4 characters
                words = rng.choices(self.zh, cum_weights=self.zh_cum, k=n)
                text = "，".join("".join(words[i : i + 6]) for i in range(0, n, 6)) + "。"
            name = rng.choice(speakers)
            out.append(
                TranscriptParagraph(
                    pid=str(len(out)),
                    start_ms=t,
                    end_ms=t + seconds * 1000,
                    speaker_name=name,
                    speaker_userid=None if name.isascii() else f"u{_NAMES.index(name)}",
                    text=text,
                )
            )
            t += seconds * 1000
        return out


def meeting(n: int, start_s: int, minutes: int) -> RecordMeeting:
    fid = f"f{n:07d}"
    return RecordMeeting(
        meeting_record_id=f"r{n:07d}",
        meeting_id=f"m{n}",
        meeting_code=str(100000000 + n),
        userid=f"user{n % 50}",
        media_start_time=start_s * 1000,
        subject=f"会议 {n}",
        state=3,
        record_files=(
            RecordFile(
                record_file_id=fid,
                record_start_time=start_s * 1000,
                record_end_time=(start_s + minutes * 60) * 1000,
                record_size=1000,
                sharing_state=1,
                required_participant=n % 5 == 0,
            ),
        ),
    )


def build(path: Path, hours: float, gen: Generator) -> tuple[int, int, int, float]:
    """Fill the store; (meetings, paragraphs, characters, seconds)."""
    store = open_store(path)
    began = time.perf_counter()
    total_minutes = int(hours * 60)
    done = 0
    n = 0
    t = 1_700_000_000
    paragraphs = chars = 0
    while done < total_minutes:
        minutes = min(gen.rng.randint(15, 120), total_minutes - done)
        english = gen.rng.random() < EN_SHARE
        m = meeting(n, t, minutes)
        store.recordings.save_meetings([m])
        paras = gen.paragraphs(minutes, english)
        fid = m.record_files[0].record_file_id
        store.content.save_transcript(Transcript(record_file_id=fid, paragraphs=tuple(paras)))
        paragraphs += len(paras)
        chars += sum(len(p.text) for p in paras)
        done += minutes
        n += 1
        t += gen.rng.randint(1800, 6 * 3600)
        if n % 200 == 0:
            print(f"  {done / 60:7.0f} h, {chars / 1e6:5.1f} M chars", file=sys.stderr)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return n, paragraphs, chars, time.perf_counter() - began


def sizes(path: Path) -> dict[str, int]:
    """Bytes per table (with its indexes), by dbstat when compiled in."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT COALESCE(i.tbl_name, s.name), SUM(s.pgsize) FROM dbstat s "
            "LEFT JOIN sqlite_master i ON i.name = s.name GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    except sqlite3.Error:
        rows = []
    finally:
        conn.close()
    return dict(rows)


def segments(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(DISTINCT segid) FROM transcript_fts_idx").fetchone()[0]
    finally:
        conn.close()


def pick_words(gen: Generator, count: int) -> dict[str, list[str]]:
    rng = random.Random(5)
    by_len: dict[int, list[str]] = {2: [], 3: [], 4: []}
    for w in gen.zh[:6000]:
        if len(w) in by_len:
            by_len[len(w)].append(w)

    # Ranks drawn log-uniformly: common and rare words alike.
    def sample(words: list[str]) -> list[str]:
        return [words[min(len(words) - 1, int(10 ** rng.uniform(0, 3.5)))] for _ in range(count)]

    return {
        "zh 2 chars": sample(by_len[2]),
        "zh 3 chars": sample(by_len[3]),
        "zh 4 chars": sample(by_len[4]),
        "en words": sample(gen.en[: len(gen.en) // 2]),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def measure(path: Path, words: dict[str, list[str]]) -> None:
    store = open_store(path)
    viewers = {"everyone": None, "non-admin": Viewer(admin=False, userid="user7")}
    try:
        for label, viewer in viewers.items():
            print(f"\nsearch as {label} (first page of 10 + count, ms):")
            print(
                f"  {'words':<11} {'page p50':>9} {'page p95':>9} {'count p50':>10} "
                f"{'count p95':>10} {'both p95':>9} {'hits median':>12} {'hits max':>9}"
            )
            for kind, sample in words.items():
                store.content.search_transcripts(sample[0], viewer=viewer, limit=10)  # warm
                page, count, both, hits = [], [], [], []
                for word in sample:
                    t0 = time.perf_counter()
                    store.content.search_transcripts(word, viewer=viewer, limit=10)
                    t1 = time.perf_counter()
                    hits.append(store.content.count_transcript_hits(word, viewer=viewer))
                    t2 = time.perf_counter()
                    page.append((t1 - t0) * 1000)
                    count.append((t2 - t1) * 1000)
                    both.append((t2 - t0) * 1000)
                print(
                    f"  {kind:<11} {percentile(page, 0.5):9.1f} {percentile(page, 0.95):9.1f} "
                    f"{percentile(count, 0.5):10.1f} {percentile(count, 0.95):10.1f} "
                    f"{percentile(both, 0.95):9.1f} {statistics.median(hits):12.0f} "
                    f"{max(hits):9d}"
                )
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2000)
    parser.add_argument("--queries", type=int, default=60, help="words per kind")
    parser.add_argument("--keep", help="write the database here and keep it")
    parser.add_argument(
        "--optimize", action="store_true", help="merge the index (optimize_index) before searching"
    )
    args = parser.parse_args()
    gen = Generator()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.db"
        meetings, paragraphs, chars, seconds = build(path, args.hours, gen)
        size = os.path.getsize(path)
        print(
            f"hours of transcript:  {args.hours:.0f} ({meetings} meetings, {paragraphs} paragraphs)"
        )
        print(f"characters:           {chars / 1e6:.1f} M")
        print(f"ingest:               {seconds:.0f} s ({chars / seconds / 1e6:.2f} M chars/s)")
        print(
            f"store size:           {size / 1e6:.0f} MB, {size / args.hours / 1e3:.0f} KB per hour"
        )
        for table, nbytes in sizes(path).items():
            if nbytes > size / 100:
                print(
                    f"  {table:<28} {nbytes / 1e6:7.1f} MB  {nbytes / args.hours / 1e3:6.1f} KB/h"
                )
        words = pick_words(gen, args.queries)
        print(f"\nindex as ingested ({segments(path)} segments):")
        measure(path, words)
        if args.optimize:
            store = open_store(path)
            began = time.perf_counter()
            store.content.optimize_index()
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            took = time.perf_counter() - began
            store.close()
            print(f"\nafter optimize_index ({took:.1f} s; {segments(path)} segment):")
            measure(path, words)


if __name__ == "__main__":
    main()
