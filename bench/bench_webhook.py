"""Bench: time from a recording completing to its Slack message, webhook on and off.

A whole bot runs on loopback: the Tencent emulator (corp/records limited to LIMIT calls a
minute, 10 by default as in production), the Slack stand-in, the store, the deliverer and the
real poller on APScheduler. RECORDINGS recordings, all of meetings that started in the last
hour and still transcoding, are completed one at a time (`complete_now`) at random gaps around
SPACING seconds; a recording's latency is its Slack message's ts minus the moment it was
completed.

- webhook on: the emulator sends recording.completed (signed, AES-encrypted) to the bot's
  /tencent/webhook; the poller runs too, as the safety net, every SAFETY_INTERVAL seconds
  (the default POLL_INTERVAL_SECONDS). Target: p95 under 2 s.
- webhook off: only the poller, every POLL_INTERVAL seconds; latency is bounded by the
  interval plus one cycle's duration.

It also counts corp/records calls per delivered recording: the webhook's narrow windows
(120 s wide) apart from the poller's cycles. Spacing matters in webhook mode: each event costs
one call from a budget of LIMIT a minute, so events faster than that wait for the budget.

Run: /tmp/venv/bin/python bench/bench_webhook.py [--recordings 20] [--spacing 7]
     [--poll-interval 7] [--safety-interval 120] [--limit 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _shared import percentile, posted_at, transcoding_recordings

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import RECORDS_PATH, TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.fastpath import WINDOW_MARGIN
from bot.poller import start_scheduler
from bot.server.http import make_wsgi_app, start_http_server
from bot.server.tencent_webhook import make_webhook_app
from bot.tencent.webhook import generate_aes_key
from bot.wiring import build_services

TOKEN = "bench-webhook-token"
BOT_TOKEN = "xoxb-bench"
CHANNEL = "CBENCH001"


@dataclass
class Run:
    mode: str
    latencies: list[float] = field(default_factory=list)
    webhook_calls: int = 0
    poll_calls: int = 0
    missing: int = 0
    seconds: float = 0.0
    counters: str = ""


def run_mode(
    webhook_on: bool, recordings: int, spacing: float, interval: int, limit: int, seed: int
) -> Run:
    rng = random.Random(seed)
    now = time.time()
    dataset = Dataset(seed=seed)
    mids = transcoding_recordings(dataset, recordings, now)
    tencent = TencentEmulator(rate_limit=limit, dataset=dataset).start()
    slack = SlackStandIn(bot_token=BOT_TOKEN).start()
    slack.add_channel(CHANNEL, "recordings")
    aes_key = generate_aes_key()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {
                "TENCENT_MEETING_API_URL": tencent.url,
                "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
                "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
                "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
                "TENCENT_MEETING_RATE_LIMIT": str(limit),
                "TENCENT_MEETING_WEBHOOK_TOKEN": TOKEN if webhook_on else "",
                "TENCENT_MEETING_WEBHOOK_AES_KEY": aes_key if webhook_on else "",
                "RECORDINGS_DB": str(Path(tmp) / "bench.db"),
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": "bench-secret",
                "SLACK_API_URL": slack.api_url,
                "DEFAULT_CHANNEL": CHANNEL,
                "POLL_INTERVAL_SECONDS": str(interval),
            },
            dotenv=False,
        )
        services = build_services(settings)
        webhook = make_webhook_app(services)
        server = start_http_server(make_wsgi_app(services, None, webhook_app=webhook))
        if webhook is not None:
            tencent.enable_webhooks(f"{server.url}/tencent/webhook", TOKEN, aes_key)
        scheduler = start_scheduler(services.poller, interval)
        time.sleep(1.0)  # the first cycle (at start) saves the 20 recordings as transcoding
        tencent.reset_calls()
        run = Run("webhook on" if webhook_on else "webhook off")
        completed: dict[str, float] = {}
        started = time.time()
        try:
            for mid in mids:
                time.sleep(rng.uniform(0.5, 1.5) * spacing)
                completed[mid] = time.time()
                dataset.complete_now(mid)
            deadline = time.time() + 2 * interval + 30
            while time.time() < deadline and len(posted_at(slack, CHANNEL)) < recordings:
                time.sleep(0.05)
            run.seconds = time.time() - started
        finally:
            scheduler.shutdown(wait=True)
            tencent.disable_webhooks()
            server.stop()
            if webhook is not None:
                webhook.close()
                run.counters = (
                    f"{webhook.counters.accepted} accepted, {webhook.counters.fetched} fetched, "
                    f"{webhook.counters.from_store} from the store, "
                    f"{webhook.counters.not_ready} not ready, {webhook.counters.failed} failed"
                )
            services.close()
        posted = posted_at(slack, CHANNEL)
        for mid, at in completed.items():
            if mid in posted:
                run.latencies.append(posted[mid] - at)
            else:
                run.missing += 1
        for call in tencent.calls:
            if call.path != RECORDS_PATH:
                continue
            width = int(call.query["end_time"]) - int(call.query["start_time"])
            if width <= 2 * WINDOW_MARGIN:
                run.webhook_calls += 1
            else:
                run.poll_calls += 1
        slack.stop()
        tencent.stop()
    return run


def report(run: Run, recordings: int, interval: int, target: str) -> None:
    delivered = len(run.latencies)
    lat = run.latencies or [float("nan")]
    calls = run.webhook_calls + run.poll_calls
    print(f"{run.mode}: {delivered} of {recordings} delivered in {run.seconds:.0f} s")
    print(
        f"  latency (s):  p50 {statistics.median(lat):.2f}  p95 {percentile(lat, 95):.2f}  "
        f"max {max(lat):.2f}  min {min(lat):.2f}   {target}"
    )
    print(
        f"  corp/records calls: {calls} ({run.webhook_calls} webhook fetches, "
        f"{run.poll_calls} poll cycles every {interval} s) = "
        f"{calls / max(1, delivered):.2f} per delivered recording"
    )
    if run.counters:
        print(f"  webhook work: {run.counters}")
    if run.missing:
        print(f"  NOT DELIVERED: {run.missing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=7.0, help="mean seconds between")
    parser.add_argument("--poll-interval", type=int, default=7, help="webhook off")
    parser.add_argument("--safety-interval", type=int, default=120, help="webhook on")
    parser.add_argument("--limit", type=int, default=10, help="corp/records calls a minute")
    args = parser.parse_args()
    print(
        f"{args.recordings} recordings completed one at a time, {args.spacing:.1f} s apart on "
        f"average (0.5x..1.5x); corp/records limit {args.limit}/min; one channel"
    )
    print()
    on = run_mode(True, args.recordings, args.spacing, args.safety_interval, args.limit, seed=1)
    report(on, args.recordings, args.safety_interval, "(target: p95 < 2 s)")
    print()
    off = run_mode(False, args.recordings, args.spacing, args.poll_interval, args.limit, seed=2)
    report(
        off,
        args.recordings,
        args.poll_interval,
        f"(bound: poll interval {args.poll_interval} s + one cycle)",
    )


if __name__ == "__main__":
    main()
