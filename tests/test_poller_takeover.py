"""`recordings-bot poll --once` killed with SIGKILL 20 times while it holds the lease: each next run
polls at once (it takes the dead holder's lease over, with no wait for the lease to expire), and
no message is posted twice. Real processes against the Tencent emulator and the Slack stand-in,
with the default lease length (6 minutes at the default interval)."""

from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.poller import LEASE_NAME
from bot.store import open_store
from bot.wiring import build_services
from tests.conftest import REC_CHANNEL, make_bot_settings
from tests.server.run_helpers import command

KILLS = 20
TAKEOVER_LIMIT = 10.0  # seconds from start to the cycle beginning; the lease itself is 360 s
pytestmark = pytest.mark.slow


def lease_row(db: str) -> tuple[str, float] | None:
    """(holder, acquired_at) of the poller's lease as the file says now, expired or not."""
    if not Path(db).exists():
        return None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(
            "SELECT holder, acquired_at FROM leases WHERE name = ?", (LEASE_NAME,)
        ).fetchone()
    except sqlite3.OperationalError:  # not migrated yet
        return None
    finally:
        conn.close()


def wait_for_lease(db: str, proc: subprocess.Popen, timeout: float = 30.0) -> float | None:
    """When `proc` took the lease (its clock), or None if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = lease_row(db)
        if row and f":{proc.pid}:" in row[0]:
            return row[1]
        if proc.poll() is not None:
            return None
        time.sleep(0.005)
    raise AssertionError(f"poll --once (pid {proc.pid}) never took the lease")


def test_a_killed_poll_is_replaced_at_once_twenty_times_without_a_duplicate(
    tmp_path: Path,
) -> None:
    rng = random.Random(1212)
    now = time.time()
    dataset = Dataset()
    ids = [
        dataset.add_meeting(
            start=now - 3600 + i * 30,
            duration=600,
            transcode_seconds=30 + i * 15,
            subject=f"Takeover {i}",
            files=1 + i % 2,
        )
        for i in range(24)
    ]
    db = str(tmp_path / "bot.db")
    with (
        TencentEmulator(dataset=dataset, rate_limit=1000) as tencent,
        SlackStandIn(bot_token="xoxb-test-token") as slack,
    ):
        slack.add_channel(REC_CHANNEL, "recordings")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TENCENT_"))},
            "TENCENT_MEETING_API_URL": tencent.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
            "TENCENT_MEETING_RATE_LIMIT": "1000",
            "RECORDINGS_DB": db,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": slack.api_url,
            "DEFAULT_CHANNEL": REC_CHANNEL,
        }
        kills, takeovers, runs = 0, [], 0
        while len(takeovers) < KILLS:  # each kill, then the run after it
            runs += 1
            assert runs <= 3 * KILLS, f"only {kills} of {runs} runs lived long enough to kill"
            tencent.advance(20)  # recordings keep completing between runs
            if rng.random() < 0.5:  # killed while it waits on the API, or while it posts
                tencent.faults.add("slow", delay=rng.uniform(0.2, 1.5))
            dead_holder = lease_row(db)  # a killed run's, unexpired (360 s) unless none yet
            out = tmp_path / f"run-{runs}.log"
            started = time.time()
            with out.open("w") as sink:
                proc = subprocess.Popen(
                    command("poll", "--once"), env=env, stdout=sink, stderr=subprocess.STDOUT
                )
            acquired_at = wait_for_lease(db, proc)
            if acquired_at is not None:
                time.sleep(rng.uniform(0.0, 1.5))  # a random point of its cycle
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(30)
            text = out.read_text()
            assert "holds the poller lease" not in text, text
            if dead_holder is not None:
                assert f"holder {dead_holder[0]} is gone; taking over" in text, text
                assert acquired_at is not None
                takeovers.append(acquired_at - started)
        assert kills >= KILLS
        assert max(takeovers) < TAKEOVER_LIMIT, sorted(takeovers)

        # Every recording is complete by now; a survivor takes the last dead holder's lease
        # over too, and posts what the killed runs left (their claims expired: clock + 300 s).
        tencent.advance(3600)
        settings = make_bot_settings(tencent.url, slack.api_url, db)
        store = open_store(db, clock=lambda: time.time() + 300)
        services = build_services(settings, store=store)
        assert services.deliverer is not None
        services.deliverer.min_interval = 0.0
        report = services.poller.run_cycle()
        assert report.ran and report.ok, report.error
        services.close()

        posted = collections.Counter(
            (m["channel"], m["metadata"]["event_payload"]["meeting_record_id"])
            for m in slack.messages()
            if m.get("metadata") and m.get("thread_ts") in (None, m["ts"])  # posts, not replies
        )
        duplicates = {key: n for key, n in posted.items() if n > 1}
        assert not duplicates, duplicates
        assert sorted(mid for _, mid in posted) == sorted(ids), "each recording exactly once"
