"""Two `recordings-bot run` replicas on one PostgreSQL database behave as one bot: exactly one
polls, and when the polling replica is killed (SIGKILL) the other polls within one interval,
with no message posted twice and none lost, over 20 kills while recordings complete. Both
replicas answer Slack's requests and Tencent's events all along. A post the killed replica had
claimed is taken over 30 s after its claim (its advisory lock is gone), not when the claim
expires (120 s)."""

from __future__ import annotations

import random
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest

from bot.emulator.slack import SlackStandIn
from bot.emulator.slack.signed_requests import post_signed, slash_body
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.webhook_sender import WebhookSender, completed_event
from bot.poller import LEASE_NAME
from bot.store import Store, open_store
from tests.conftest import REC_CHANNEL
from tests.server.run_helpers import (
    BOT_TOKEN,
    SIGNING_SECRET,
    USER,
    bot_env,
    command,
    free_port,
    healthz,
    wait_until,
)

KILLS = 20
INTERVAL = 2  # seconds between poll cycles
WEBHOOK_TOKEN = "replica-hook-token"  # noqa: S105 (a test token)
pytestmark = pytest.mark.slow


PORTS: dict[int, int] = {}  # a replica's pid -> its HTTP port


def _start(env: dict[str, str], tmp_path: Path, name: str) -> subprocess.Popen:
    log = (tmp_path / f"{name}.log").open("a")
    port = free_port()
    proc = subprocess.Popen(
        command("run", "--host", "127.0.0.1"),
        env={**env, "PORT": str(port)},
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    PORTS[proc.pid] = port
    return proc


def _answers_slack_and_webhooks(
    proc: subprocess.Popen, slack: SlackStandIn, tencent: TencentEmulator, mid: str
) -> None:
    """A signed /recordings gets its answer, and a signed Tencent event is taken, from `proc`."""
    port = PORTS[proc.pid]
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: healthz(port) in (200, 503), 30, f"replica {proc.pid} to serve")
    response_url = slack.new_response_url()
    body = slash_body("today", user_id=USER, response_url=response_url)
    assert post_signed(f"{base}/slack/events", SIGNING_SECRET, body).status_code == 200
    wait_until(
        lambda: any(r["url"] == response_url for r in slack.responses),
        15,
        f"replica {proc.pid}'s answer to /recordings",
    )
    sender = WebhookSender(f"{base}/tencent/webhook", WEBHOOK_TOKEN)
    answer = sender.send_event(completed_event(tencent.dataset.get(mid), time.time()))
    assert answer is not None and answer.status_code == 200, answer


def _holder(store: Store) -> str | None:
    return store.leases.holder(LEASE_NAME)


def _pid(holder: str) -> int:
    return int(holder.split(":")[-2])


def test_two_replicas_one_poller_takeover_at_once_no_duplicate_no_loss(
    pg_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20261203)
    now = time.time()
    dataset = Dataset()
    ids = [
        dataset.add_meeting(
            start=now - 3600 + i * 30,
            duration=600,
            transcode_seconds=20 + i * 12,
            subject=f"Replica test {i}",
            files=1 + i % 2,
        )
        for i in range(30)
    ]
    with (
        TencentEmulator(dataset=dataset, rate_limit=1000) as tencent,
        SlackStandIn(bot_token=BOT_TOKEN) as slack,
    ):
        slack.add_channel(REC_CHANNEL, "recordings")
        env = bot_env(tencent, slack, str(tmp_path / "unused.db"), 0)
        env.update(
            {
                "DATABASE_URL": pg_url,
                "DEFAULT_CHANNEL": REC_CHANNEL,
                "TENCENT_MEETING_RATE_LIMIT": "1000",
                "POLL_INTERVAL_SECONDS": str(INTERVAL),
                # The lease outlives the test: only the dead holder's lost advisory lock can
                # hand the polling over in time.
                "POLL_LEASE_SECONDS": "600",
                "TENCENT_MEETING_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
            }
        )
        env.pop("RECORDINGS_DB", None)
        store = open_store(pg_url)
        replicas = [_start(env, tmp_path, "a"), _start(env, tmp_path, "b")]
        takeovers: list[float] = []
        try:
            holder = wait_until(lambda: _holder(store), 30, "a replica to take the poller lease")
            for n in range(KILLS):
                tencent.advance(20)  # recordings keep completing
                time.sleep(rng.uniform(0.2, 2.5))  # at a random point of a cycle
                holder = wait_until(lambda: _holder(store), 30, "a poller")
                victim = next(p for p in replicas if p.pid == _pid(holder))
                victim.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                victim.wait(timeout=10)
                new = wait_until(
                    lambda h=holder: (x := _holder(store)) and x != h and x,
                    3 * INTERVAL + 10,
                    f"the other replica to poll after kill {n + 1}",
                )
                takeovers.append(time.monotonic() - killed_at)
                assert _pid(new) != victim.pid
                replicas[replicas.index(victim)] = _start(env, tmp_path, f"r{n}")

            for proc in replicas:  # the poller and the other: both serve
                _answers_slack_and_webhooks(proc, slack, tencent, ids[0])
            tencent.advance(1200)  # every recording is complete now
            try:
                wait_until(
                    lambda: all(store.deliveries.sent_for(mid) for mid in ids),
                    60,
                    "every recording delivered",
                )
            except AssertionError:
                missing = [m for m in ids if not store.deliveries.sent_for(m)]
                rows = {m: store.deliveries.get(m, REC_CHANNEL) for m in missing}
                saved = {m: store.recordings.get(m) for m in missing}
                raise AssertionError(
                    f"not delivered: {rows}; in the store: "
                    f"{ {m: (r.state if r else None) for m, r in saved.items()} }; "
                    f"holder {_holder(store)}"
                ) from None
            time.sleep(2 * INTERVAL)  # a duplicate would show up now
        finally:
            for proc in replicas:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in replicas:
                proc.wait(timeout=20)
            store.close()

        posted = [  # the recordings' posts (their minutes, in threads, are not posts)
            m["metadata"]["event_payload"]["meeting_record_id"]
            for m in slack.messages()
            if m.get("thread_ts") in (None, m["ts"])
        ]
        assert sorted(posted) == sorted(ids), "each completed recording exactly once"
        takeovers.sort()
        report = (
            f"takeover after SIGKILL over {len(takeovers)} kills: "
            f"p50 {statistics.median(takeovers):.2f} s, max {takeovers[-1]:.2f} s "
            f"(poll interval {INTERVAL} s)"
        )
        print(report)
        assert takeovers[-1] <= INTERVAL + 5, report
