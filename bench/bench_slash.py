"""Slash command latency: `/recordings` over HTTP against a store of 100,000 recordings.

    python bench/bench_slash.py [--recordings 100000] [--requests 1000] [--database URL] [--json]

Fills a fresh store with generated recordings spread over the last year and marks that year
synced (as a running poller would keep it), then sends signed `/recordings` requests over HTTP
to the real Bolt app, one after the other, with mixed forms (today, week, search 周会, a date
range). Prints the ack latency (the HTTP answer) and the time until the full answer reaches the
response_url (Slack stand-in), p50 / p99, and the number of Tencent API calls made.
Targets: ack p99 < 100 ms, answer p99 < 300 ms, 0 API calls.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.signed_requests import post_signed, slash_body
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.models import RecordFile, RecordMeeting
from bot.server.http import make_wsgi_app, start_http_server
from bot.slack.app import build_app
from bot.store import Store, open_store
from bot.wiring import build_services

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
USERS = {"UBENCH001": "Asia/Shanghai", "UBENCH002": "Europe/Berlin", "UBENCH003": "UTC"}
SUBJECTS = [
    "产品周会 第{n}期",
    "技术评审：{n}",
    "Weekly sync {n}",
    "Design review #{n}",
    "客户演示 {n}",
    "All hands {n}",
    "销售周会 {n}",
]
HOSTS = ["zhangwei", "li.na", "alice", "bob", "chen.jie"]


def generate(count: int, end: int, days: int = 365, seed: int = 11) -> Iterator[RecordMeeting]:
    rng = random.Random(seed)
    first = end - days * 86400
    for i in range(count):
        start_ms = (first + rng.randrange(days * 86400 - 600)) * 1000
        length = rng.randint(300, 5400) * 1000
        yield RecordMeeting(
            meeting_record_id=f"bench{i:07d}",
            meeting_id=f"m{i:07d}",
            meeting_code=f"{rng.randrange(10**9):09d}",
            userid=rng.choice(HOSTS),
            media_start_time=start_ms,
            subject=rng.choice(SUBJECTS).format(n=rng.randint(1, 300)),
            state=3,
            record_files=(
                RecordFile(
                    record_file_id=f"f{i:07d}",
                    record_start_time=start_ms,
                    record_end_time=start_ms + length,
                    record_size=rng.randint(10, 900) * 1_000_000,
                    sharing_state=1,
                    sharing_url=f"https://meeting.tencent.com/crm/{i:07d}",
                    password="",
                    allow_download=True,
                ),
            ),
        )


def fill(store: Store, count: int, now: int) -> float:
    began = time.perf_counter()
    batch: list[RecordMeeting] = []
    for meeting in generate(count, now):
        batch.append(meeting)
        if len(batch) == 5000:
            store.recordings.save_meetings(batch)
            batch = []
    store.recordings.save_meetings(batch)
    store.recordings.mark_synced(now - 400 * 86400, now)
    return time.perf_counter() - began


def forms(today: datetime) -> list[str]:
    first = (today - timedelta(days=25)).date().isoformat()
    last = (today - timedelta(days=6)).date().isoformat()
    return ["today", "week", "search 周会", f"{first}..{last}"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recordings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database", help="an empty database to use (default: a temp file)")
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bot.slack.bolt").setLevel(logging.ERROR)

    workdir = Path(tempfile.mkdtemp(prefix="bench-slash-"))
    now = int(time.time())
    location = args.database or str(workdir / "bench.db")
    store = open_store(location)
    fill_seconds = fill(store, args.recordings, now)
    print(f"store: {store.recordings.count()} recordings saved in {fill_seconds:.1f} s")

    tencent = TencentEmulator(dataset=Dataset(seed=1)).start()
    slack = SlackStandIn(bot_token=TOKEN).start()
    for user, tz in USERS.items():
        slack.add_user(user, name=user.lower(), tz=tz, email=f"{user.lower()}@example.com")
    settings = load_settings(
        {
            "TENCENT_MEETING_API_URL": tencent.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
            "RECORDINGS_DB": str(workdir / "bench.db"),
            "DATABASE_URL": location if "://" in location else "",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        },
        dotenv=False,
    )
    services = build_services(settings, store=store)
    app = build_app(settings, store, services.tencent, executors=services.executors)
    server = start_http_server(make_wsgi_app(services, app))
    url = f"{server.url}/slack/events"
    session = requests.Session()
    texts = forms(datetime.now(ZoneInfo("Asia/Shanghai")))
    users = list(USERS)

    def one(i: int) -> tuple[float, float, str]:
        text = texts[i % len(texts)]
        response_url = slack.new_response_url()
        body = slash_body(text, user_id=users[i % len(users)], response_url=response_url)
        seen = len(slack.responses)
        began = time.perf_counter()
        response = post_signed(url, SECRET, body, session=session)
        acked = time.perf_counter() - began
        if response.status_code != 200:
            raise SystemExit(f"request {i} ({text}) was answered {response.status_code}")
        slack.wait_for(
            lambda: any(r["url"] == response_url for r in slack.responses[seen:]), timeout=30
        )
        return acked, time.perf_counter() - began, text

    try:
        for i in range(30):  # warm up: connections, user cache, SQLite pages
            one(i)
        tencent.reset_calls()
        acks: list[float] = []
        answers: list[float] = []
        by_form: dict[str, list[float]] = {t: [] for t in texts}
        last_refresh = time.monotonic()
        began = time.perf_counter()
        for i in range(args.requests):
            if time.monotonic() - last_refresh > 60:  # what the poller does every cycle
                store.recordings.mark_synced(now, int(time.time()))
                last_refresh = time.monotonic()
            acked, answered, text = one(i)
            acks.append(acked * 1000)
            answers.append(answered * 1000)
            by_form[text].append(answered * 1000)
        elapsed = time.perf_counter() - began
        calls = tencent.call_count()
    finally:
        server.stop()
        services.close()
        slack.stop()
        tencent.stop()

    print(f"{args.requests} signed /recordings requests over HTTP in {elapsed:.1f} s (sequential)")
    print(f"ack latency:     p50 {pct(acks, 50):6.1f} ms   p99 {pct(acks, 99):6.1f} ms")
    print(f"answer latency:  p50 {pct(answers, 50):6.1f} ms   p99 {pct(answers, 99):6.1f} ms")
    for text, values in by_form.items():
        print(
            f"  {text:<26} answer p50 {pct(values, 50):6.1f} ms  p99 {pct(values, 99):6.1f} ms  "
            f"mean {statistics.fmean(values):6.1f} ms"
        )
    print(f"Tencent API calls made: {calls}")
    ok = pct(acks, 99) < 100 and pct(answers, 99) < 300 and calls == 0
    print("targets (ack p99 < 100 ms, answer p99 < 300 ms, 0 calls):", "met" if ok else "MISSED")
    if args.json:
        figures = {
            "ack_p50_ms": pct(acks, 50),
            "ack_p99_ms": pct(acks, 99),
            "answer_p50_ms": pct(answers, 50),
            "answer_p99_ms": pct(answers, 99),
            "api_calls": calls,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
