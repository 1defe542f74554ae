"""Bench: can one member starve everyone's answers and the channel posts? (issue 10, part 2)

A whole bot runs on loopback, as `recordings-bot run` wires it: the real Bolt app over HTTP
(signed slash requests), the poller on APScheduler, the deliverer, the Tencent emulator
(corp/records limited to LIMIT calls a WINDOW) holding a year of history (HISTORY recordings),
and the Slack stand-in. The store starts with the last 8 days synced, as a running poller
keeps it, so `today`, `yesterday` and `week` are answered from the store.

During SECONDS seconds:
- recordings of meetings that started in the last hour complete one at a time, SPACING
  seconds apart on average; the channel post delay is the Slack message's ts minus the moment
  the recording was completed in the emulator;
- three other members ask store-backed questions (`yesterday`, `week`, `today`, `help`) one
  after the other, every ASK_EVERY seconds; an answer time runs from sending the signed
  request to the full answer at its response_url;
- the burst: 16 year-long questions (`365d`, 12 windows of 31 days, each needing several
  pages) sent at once at the start and again halfway, from one member (`--burst one`), from
  16 members (`--burst many`: saturates people's share of the budget), or none.

Time is scaled to keep the run short: the API window is WINDOW seconds (15 by default, 4x
faster than Tencent's minute) in the emulator and in the bot's throttle alike, and the poller
runs every POLL_INTERVAL seconds (15: the default 120 s scaled the same way would make the
run too long to show anything).

Run: python bench/bench_starvation.py [--seconds 45] [--window 15] [--poll-interval 15]
     [--modes none,one,many]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from _shared import percentile, posted_at, transcoding_recordings

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.signed_requests import post_signed, slash_body
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.poller import start_scheduler
from bot.server.http import make_wsgi_app, start_http_server
from bot.slack.app import build_app
from bot.sync import sync_range
from bot.wiring import build_services

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CHANNEL = "CBENCH001"
OTHERS = ["UASKER001", "UASKER002", "UASKER003"]
BURSTERS = [f"UBURST{i:03d}" for i in range(16)]
QUESTIONS = ["yesterday", "week", "today", "help"]
WAITING = "Fetching from Tencent Meeting"
STILL_WORKING = "still working on your last question"


@dataclass
class Run:
    mode: str
    answers: list[float] = field(default_factory=list)  # other members' answer times
    asked: int = 0
    posts: list[float] = field(default_factory=list)  # channel post delays
    not_posted: int = 0
    burst_still_working: int = 0
    burst_answered: int = 0
    burst_unanswered: int = 0
    calls: dict[str, int] = field(default_factory=dict)  # corp/records calls by priority
    most_in_a_window: int = 0


class Asker:
    """Sends signed `/recordings` requests and times their final answers."""

    def __init__(self, events_url: str, slack: SlackStandIn):
        self.events_url = events_url
        self.slack = slack
        self.session = requests.Session()
        self.lock = threading.Lock()

    def send(self, user: str, text: str) -> str:
        url = self.slack.new_response_url()
        body = slash_body(text, user_id=user, response_url=url)
        with self.lock:  # one keep-alive session, one request at a time
            post_signed(self.events_url, SECRET, body, session=self.session)
        return url

    def final(self, url: str) -> dict | None:
        for response in list(self.slack.responses):
            if response["url"] == url and not response["payload"].get("text", "").startswith(
                WAITING
            ):
                return response["payload"]
        return None

    def timed(self, user: str, text: str, timeout: float) -> float | None:
        """Seconds from sending to the final answer (None: none within `timeout`)."""
        started = time.time()
        url = self.send(user, text)
        try:
            self.slack.wait_for(lambda: self.final(url), timeout=timeout)
        except TimeoutError:
            return None
        return time.time() - started


def run_mode(mode: str, args: argparse.Namespace, seed: int) -> Run:
    rng = random.Random(seed)
    now = time.time()
    dataset = Dataset.generate_history(args.history, end=now, days=365, seed=seed)
    count = max(1, int(args.seconds / args.spacing))
    mids = transcoding_recordings(dataset, count, now)
    tencent = TencentEmulator(
        rate_limit=args.limit, rate_window=args.window, dataset=dataset
    ).start()
    slack = SlackStandIn(bot_token=TOKEN).start()
    slack.add_channel(CHANNEL, "recordings")
    for user in OTHERS + BURSTERS:
        slack.add_user(user, name=user.lower(), tz="Asia/Shanghai", email=f"{user}@example.com")
    run = Run(mode)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {
                "TENCENT_MEETING_API_URL": tencent.url,
                "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
                "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
                "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
                "TENCENT_MEETING_RATE_LIMIT": str(args.limit),
                "RECORDINGS_DB": str(Path(tmp) / "bench.db"),
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "DEFAULT_CHANNEL": CHANNEL,
                "POLL_INTERVAL_SECONDS": str(args.poll_interval),
            },
            dotenv=False,
        )
        services = build_services(settings)
        services.tencent.throttle.window = args.window  # the scaled minute, as the emulator's
        store = services.store
        # The last 8 days synced, as the poller keeps them (2 calls), before the clock starts.
        sync_range(store, services.tencent, int(now - 8 * 86400), int(now), notify=False)
        store.state.set("poller.watermark", int(now))
        app = build_app(settings, store, services.tencent, executors=services.executors)
        server = start_http_server(make_wsgi_app(services, app))
        asker = Asker(f"{server.url}/slack/events", slack)
        scheduler = start_scheduler(services.poller, args.poll_interval)
        time.sleep(args.window + 0.5)  # the setup's calls leave the window; a first cycle ran
        started = time.time()
        completed: dict[str, float] = {}
        burst_urls: list[str] = []
        answer_threads: list[threading.Thread] = []
        stop = threading.Event()

        def burst() -> None:
            users = [BURSTERS[0]] * 16 if mode == "one" else BURSTERS
            burst_urls.extend(asker.send(user, "365d") for user in users)

        def others() -> None:
            i = 0
            while not stop.wait(rng.uniform(0.5, 1.5) * args.ask_every):
                user, text = OTHERS[i % len(OTHERS)], QUESTIONS[i % len(QUESTIONS)]
                i += 1

                def ask(user: str = user, text: str = text) -> None:
                    took = asker.timed(user, text, timeout=args.seconds + 60)
                    if took is not None:
                        run.answers.append(took)

                run.asked += 1

                thread = threading.Thread(target=ask)
                thread.start()
                answer_threads.append(thread)

        asking = threading.Thread(target=others)
        asking.start()
        try:
            if mode != "none":
                burst()
            half = started + args.seconds / 2
            for mid in mids:
                time.sleep(rng.uniform(0.5, 1.5) * args.spacing)
                if mode != "none" and half <= time.time() and len(burst_urls) <= 16:
                    burst()
                completed[mid] = time.time()
                dataset.complete_now(mid)
            stop.set()
            asking.join()
            deadline = time.time() + args.poll_interval * 2 + 15
            while time.time() < deadline and len(posted_at(slack, CHANNEL)) < len(mids):
                time.sleep(0.1)
            for thread in answer_threads:
                thread.join(max(0.0, deadline - time.time()))
        finally:
            stop.set()
            scheduler.shutdown(wait=False)
            server.stop()
            rows = store.conn.execute(
                "SELECT priority, at FROM api_calls WHERE bucket = 'corp_records' AND at >= ?",
                (started,),
            ).fetchall()
            for texts in _burst_texts(slack, burst_urls):
                if any(STILL_WORKING in t for t in texts):
                    run.burst_still_working += 1
                elif any(not t.startswith(WAITING) for t in texts):
                    run.burst_answered += 1
                else:
                    run.burst_unanswered += 1
            services.close()
        for priority, _ in rows:
            run.calls[priority] = run.calls.get(priority, 0) + 1
        times = sorted(at for _, at in rows)
        run.most_in_a_window = max(
            (sum(1 for u in times if t <= u < t + args.window) for t in times), default=0
        )
        posted = posted_at(slack, CHANNEL)
        for mid, at in completed.items():
            if mid in posted:
                run.posts.append(posted[mid] - at)
            else:
                run.not_posted += 1
        slack.stop()
        tencent.stop()
    return run


def _burst_texts(slack: SlackStandIn, urls: list[str]) -> list[list[str]]:
    responses = list(slack.responses)
    return [[r["payload"].get("text", "") for r in responses if r["url"] == url] for url in urls]


def _figures(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {statistics.median(values):6.2f}  p95 {percentile(values, 95):6.2f}  "
        f"max {max(values):6.2f}  (n={len(values)})"
    )


def report(run: Run, args: argparse.Namespace) -> None:
    label = {
        "none": "no burst",
        "one": "burst of 16 x `365d` from one member (twice)",
        "many": "burst of `365d` from 16 members (twice)",
    }[run.mode]
    print(f"{label}:")
    print(f"  other members' answers (s):  {_figures(run.answers)}")
    if run.asked > len(run.answers):
        print(f"    NOT ANSWERED by the end of the run: {run.asked - len(run.answers)}")
    print(f"  channel post delay (s):      {_figures(run.posts)}")
    if run.not_posted:
        print(f"    NOT POSTED within the run + {args.poll_interval * 2 + 15} s: {run.not_posted}")
    if run.mode != "none":
        print(
            f"  burst questions: {run.burst_answered} answered, {run.burst_still_working} told "
            f"'still working', {run.burst_unanswered} still waiting at the end"
        )
    calls = ", ".join(f"{n} {p}" for p, n in sorted(run.calls.items())) or "none"
    print(
        f"  corp/records calls: {calls}; most in any {args.window:.0f} s window: "
        f"{run.most_in_a_window} (limit {args.limit})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=45.0, help="length of each run")
    parser.add_argument("--window", type=float, default=15.0, help="the API's scaled minute")
    parser.add_argument("--limit", type=int, default=10, help="corp/records calls a window")
    parser.add_argument("--poll-interval", type=int, default=15)
    parser.add_argument("--spacing", type=float, default=4.0, help="s between completions")
    parser.add_argument("--ask-every", type=float, default=1.5, help="s between others' asks")
    parser.add_argument("--history", type=int, default=1500, help="recordings in the year")
    parser.add_argument("--modes", default="none,one,many")
    args = parser.parse_args()
    print(
        f"{args.seconds:.0f} s per run; corp/records limit {args.limit} calls per "
        f"{args.window:.0f} s (a scaled minute); poll every {args.poll_interval} s; "
        f"{args.history} recordings over the last year; a recording completes every "
        f"~{args.spacing:.0f} s; three other members ask every ~{args.ask_every:.1f} s"
    )
    for seed, mode in enumerate(args.modes.split(","), start=1):
        print()
        report(run_mode(mode.strip(), args, seed), args)


if __name__ == "__main__":
    main()
